;; Speed kernels for the plain-vs-instrumented comparison, free of libc and
;; WASI so that only the instrumented code differs, and a recursion that
;; suspends in a host call at a chosen depth (for unwind/rewind cost).
(module
  (import "env" "suspend" (func $suspend))
  (memory (export "memory") 1024 1024) ;; 64 MiB

  ;; xorshift32 with a running sum, n iterations.
  (func (export "loop") (param $n i32) (result i32) (local $x i32) (local $sum i32)
    i32.const 2463534242 local.set $x
    block $done
      loop $again
        local.get $n i32.eqz br_if $done
        local.get $x local.get $x i32.const 13 i32.shl i32.xor local.set $x
        local.get $x local.get $x i32.const 17 i32.shr_u i32.xor local.set $x
        local.get $x local.get $x i32.const 5 i32.shl i32.xor local.set $x
        local.get $sum local.get $x i32.add local.set $sum
        local.get $n i32.const 1 i32.sub local.set $n
        br $again
      end
    end
    local.get $sum)

  (func $fib (export "fib") (param $n i32) (result i32)
    local.get $n i32.const 2 i32.lt_u
    if (result i32)
      local.get $n
    else
      local.get $n i32.const 1 i32.sub call $fib
      local.get $n i32.const 2 i32.sub call $fib
      i32.add
    end)

  ;; One pass over all 64 MiB: each i32 loaded, multiplied, stored back.
  (func (export "stream") (param $passes i32) (result i32) (local $p i32) (local $acc i32)
    block $out
      loop $pass
        local.get $passes i32.eqz br_if $out
        i32.const 0 local.set $p
        loop $elem
          local.get $p
          local.get $p i32.load i32.const 1664525 i32.mul i32.const 1013904223 i32.add
          i32.store
          local.get $p i32.const 4 i32.add local.tee $p
          i32.const 67108864 i32.lt_u br_if $elem
        end
        local.get $passes i32.const 1 i32.sub local.set $passes
        br $pass
      end
    end
    i32.const 4096 i32.load)

  ;; Recurses d levels, then calls the suspending host function, and adds
  ;; a value per frame on the way back so every frame has live state.
  (func $deep (export "deep") (param $d i32) (result i32) (local $x i32)
    local.get $d i32.const 3 i32.mul local.set $x
    local.get $d i32.eqz
    if (result i32)
      call $suspend
      i32.const 1
    else
      local.get $d i32.const 1 i32.sub call $deep
      local.get $x i32.add
    end)
)
