;; Calls dosemu.now 1000000 times, then exits 0: a trivial system call.
(module
  (import "dosemu" "now" (func $now (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (loop $again
      (drop (call $now (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 1000000))))))
