;; Runtime test guest: host hand-offs, traps, exit, memory growth.
(module
  (import "env" "block" (func $block (result i32)))
  (import "env" "exit" (func $exit (param i32)))
  (import "env" "nop" (func $nop))
  (memory (export "memory") 1 16)
  (global $counter (export "counter") (mut i32) (i32.const 0))

  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)

  ;; Calls block n times; returns how many calls answered 1 (resumed).
  (func (export "blocks") (param $n i32) (result i32) (local $ok i32)
    block $done
      loop $again
        local.get $n i32.eqz br_if $done
        call $block local.get $ok i32.add local.set $ok
        global.get $counter i32.const 1 i32.add global.set $counter
        local.get $n i32.const 1 i32.sub local.set $n
        br $again
      end
    end
    local.get $ok)

  ;; Blocks forever (until killed).
  (func (export "forever")
    loop $again call $block drop br $again end)

  ;; Recurses until $d is 0, each frame with a value live across its call,
  ;; and blocks forever at the bottom: d+1 frames parked in a host call.
  (func $deepblock (export "deepblock") (param $d i32) (result i32) (local $x i32)
    local.get $d i32.const 3 i32.mul local.set $x
    local.get $d i32.eqz
    if (result i32)
      loop $again call $block drop br $again end
      unreachable
    else
      local.get $d i32.const 1 i32.sub call $deepblock
      local.get $x i32.add
    end)

  (func (export "trap") unreachable)
  (func (export "oob") (result i32) i32.const 0x7ffffff0 i32.load)
  (func $rec (export "recurse") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $rec)
  (func (export "exit") (param i32) local.get 0 call $exit unreachable)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)

  ;; Calls the no-op host function n times.
  (func (export "nops") (param $n i32)
    block $done
      loop $again
        local.get $n i32.eqz br_if $done
        call $nop
        local.get $n i32.const 1 i32.sub local.set $n
        br $again
      end
    end)

  ;; xorshift loop, n iterations.
  (func (export "spin") (param $n i32) (result i32) (local $x i32)
    i32.const 2463534242 local.set $x
    block $done
      loop $again
        local.get $n i32.eqz br_if $done
        local.get $x local.get $x i32.const 13 i32.shl i32.xor local.set $x
        local.get $x local.get $x i32.const 17 i32.shr_u i32.xor local.set $x
        local.get $x local.get $x i32.const 5 i32.shl i32.xor local.set $x
        local.get $n i32.const 1 i32.sub local.set $n
        br $again
      end
    end
    local.get $x)

  (func (export "_start") call $block drop)
)
