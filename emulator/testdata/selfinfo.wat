;; Exits with (pid << 4) | computer index, read through dosemu.self, and
;; checks dosemu.computers and dosemu.parent answer 0.
(module
  (import "dosemu" "self" (func $self (param i32) (result i32)))
  (import "dosemu" "parent" (func $parent (param i32) (result i32)))
  (import "dosemu" "fork" (func $fork (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $g i64)
    (if (i32.ne (call $self (i32.const 0)) (i32.const 0)) (then unreachable))
    (if (i32.ne (call $parent (i32.const 8)) (i32.const 0)) (then unreachable))
    ;; fork exists; a result pointer outside memory is EFAULT (21),
    ;; answered before anything is copied (no child is made).
    (if (i32.ne (call $fork (i32.const 0x7fffffff)) (i32.const 21)) (then unreachable))
    ;; a bad pointer is EFAULT (21), not a crash.
    (if (i32.ne (call $self (i32.const 0x7fffffff)) (i32.const 21)) (then unreachable))
    (local.set $g (i64.load (i32.const 0)))
    (call $exit (i32.wrap_i64
      (i64.or (i64.shl (i64.and (local.get $g) (i64.const 0xffffffff)) (i64.const 4))
              (i64.shr_u (local.get $g) (i64.const 32)))))))
