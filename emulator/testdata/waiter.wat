;; Exercises dosemu.spawn and dosemu.wait; exits 0 when every answer is
;; right, or with the number of the first check that failed.
;; memory: 0 child gid, 8 waited gid, 16 status, 64 "exit3", 80 argv.
(module
  (import "dosemu" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "dosemu" "wait" (func $wait (param i64 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "exit3")
  (data (i32.const 80) "exit3\00")
  (func $check (param $ok i32) (param $n i32)
    (if (i32.eqz (local.get $ok)) (then (call $exit (local.get $n)))))
  (func (export "_start")
    ;; 1: no children yet: ECHILD (12).
    (call $check (i32.eq (call $wait (i64.const -1) (i32.const 1) (i32.const 8) (i32.const 16)) (i32.const 12)) (i32.const 1))
    ;; 2: spawn exit3 here.
    (call $check (i32.eqz (call $spawn (i32.const -1) (i32.const 64) (i32.const 5) (i32.const 80) (i32.const 6)
                                        (i32.const 0) (i32.const 0) (i32.const 0))) (i32.const 2))
    ;; 3: WNOHANG before it ran: success, waited = 0.
    (call $check (i32.eqz (call $wait (i64.load (i32.const 0)) (i32.const 1) (i32.const 8) (i32.const 16))) (i32.const 3))
    (call $check (i64.eqz (i64.load (i32.const 8))) (i32.const 4))
    ;; 5: blocking wait for any child: the child, status 3<<8.
    (call $check (i32.eqz (call $wait (i64.const -1) (i32.const 0) (i32.const 8) (i32.const 16))) (i32.const 5))
    (call $check (i64.eq (i64.load (i32.const 8)) (i64.load (i32.const 0))) (i32.const 6))
    (call $check (i32.eq (i32.load (i32.const 16)) (i32.const 0x300)) (i32.const 7))
    ;; 8: reaped: waiting again is ECHILD.
    (call $check (i32.eq (call $wait (i64.load (i32.const 0)) (i32.const 0) (i32.const 8) (i32.const 16)) (i32.const 12)) (i32.const 8))
    ;; 9: an unknown program is ENOENT (44).
    (call $check (i32.eq (call $spawn (i32.const -1) (i32.const 64) (i32.const 4) (i32.const 80) (i32.const 6)
                                      (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 44)) (i32.const 9))
    ;; 10: a computer that does not exist is EINVAL (28).
    (call $check (i32.eq (call $spawn (i32.const 99) (i32.const 64) (i32.const 5) (i32.const 80) (i32.const 6)
                                      (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 28)) (i32.const 10))))
