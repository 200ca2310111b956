;; Calls sched_yield 3 times, then exits 0.
(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $yield))
    (drop (call $yield))
    (drop (call $yield))))
