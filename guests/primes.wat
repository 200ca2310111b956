;; primes: a hand-written WebAssembly guest. It finds the primes below a
;; limit by trial division, prints them with fd_write, then prints their
;; count and sum. Only WASI preview1 is imported.
;;
;; Memory layout (one page):
;;   0..8      iovec {buf, len} handed to fd_write
;;   8..12     where fd_write stores the number of bytes written
;;   16..48    scratch for formatting one number (right-aligned)
;;   64..      the output line being built
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  (global $limit i32 (i32.const 200))
  ;; end of the line buffer so far
  (global $out (mut i32) (i32.const 64))

  (data (i32.const 1024) "primes:")
  (data (i32.const 1040) "count ")
  (data (i32.const 1056) " sum ")

  ;; append len bytes at src to the line buffer
  (func $put (param $src i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $src) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))

  ;; append the decimal form of n
  (func $putnum (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 48))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (call $put (local.get $p) (i32.sub (i32.const 48) (local.get $p))))

  ;; write the line buffer plus a newline to stdout, then empty it
  (func $flush
    (i32.store8 (global.get $out) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4)
      (i32.sub (i32.add (global.get $out) (i32.const 1)) (i32.const 64)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (global.set $out (i32.const 64)))

  (func $is_prime (param $n i32) (result i32)
    (local $d i32)
    (if (i32.lt_u (local.get $n) (i32.const 2)) (then (return (i32.const 0))))
    (local.set $d (i32.const 2))
    (block $done
      (loop $try
        (br_if $done (i32.gt_u (i32.mul (local.get $d) (local.get $d)) (local.get $n)))
        (if (i32.eqz (i32.rem_u (local.get $n) (local.get $d)))
          (then (return (i32.const 0))))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $try)))
    (i32.const 1))

  (func (export "_start")
    (local $n i32) (local $count i32) (local $sum i32)
    (call $put (i32.const 1024) (i32.const 7))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $n) (global.get $limit)))
        (if (call $is_prime (local.get $n))
          (then
            (call $put (i32.const 1056) (i32.const 1)) ;; the space that starts " sum "
            (call $putnum (local.get $n))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (local.set $sum (i32.add (local.get $sum) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (call $flush)
    (call $put (i32.const 1040) (i32.const 6))
    (call $putnum (local.get $count))
    (call $put (i32.const 1056) (i32.const 5))
    (call $putnum (local.get $sum))
    (call $flush)
    (call $proc_exit (i32.const 0)))
)
