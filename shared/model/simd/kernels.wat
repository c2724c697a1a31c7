;; The dense inner loops of the models, in WebAssembly SIMD: JavaScript has no SIMD, and these loops (a user
;; vector against every item vector; the conjugate-gradient steps of iALS, in f32x4; the blocked inverse of
;; EASE, in f64x2) are where training and serving spend their time. Compiled by scripts/build-wasm.ts into
;; kernels-wasm.ts; the JS side is shared/model/simd/kernels.ts.
;;
;; Conventions: every pointer is a byte address into the imported memory, 16-byte aligned for the float32
;; kernels; every float32 vector length `f` is a multiple of 4 (callers fall back to the JavaScript loops
;; otherwise); matrices are row-major. The memory is shared so that worker threads run the same kernels on
;; the same arrays. The float64 kernels multiply-add with relaxed_madd (relaxed SIMD, on by default in
;; Node 22): a fused multiply-add where the CPU has one, which makes the inverse's sums differ between CPUs by
;; rounding (never between thread counts on one CPU); the float32 kernels keep separate mul and add, so iALS
;; factors are the same on every CPU.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Sum of the four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; a · b
  (func $dot (export "dot") (param $a i32) (param $b i32) (param $f i32) (result f32)
    (local $acc v128) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $f) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc
          (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $next)))
    (call $hsum (local.get $acc)))

  ;; y += alpha · x
  (func $axpy (param $alpha f32) (param $x i32) (param $y i32) (param $f i32)
    (local $av v128) (local $end i32)
    (local.set $av (f32x4.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $f) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $y)
          (f32x4.add (v128.load (local.get $y)) (f32x4.mul (local.get $av) (v128.load (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next))))

  ;; y = x + beta · y
  (func $xpby (param $x i32) (param $beta f32) (param $y i32) (param $f i32)
    (local $bv v128) (local $end i32)
    (local.set $bv (f32x4.splat (local.get $beta)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $f) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $y)
          (f32x4.add (v128.load (local.get $x)) (f32x4.mul (local.get $bv) (v128.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next))))

  ;; v = −v
  (func $negate (param $v i32) (param $f i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $v) (i32.shl (local.get $f) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $v) (local.get $end)))
        (v128.store (local.get $v) (f32x4.neg (v128.load (local.get $v))))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (br $next))))

  ;; out[j] = x · y_j for the n rows y_j of y (n × f). Four rows per pass share each load of x, and their
  ;; four accumulators are reduced together by two shuffle rounds into one vector of four results.
  (func $scores (export "scores") (param $x i32) (param $y i32) (param $n i32) (param $f i32) (param $out i32)
    (local $fb i32) (local $end i32) (local $k i32) (local $xv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $u v128) (local $v v128)
    (local.set $fb (i32.shl (local.get $f) (i32.const 2)))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $quads
      (loop $quad
        (br_if $quads (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $cols
          (loop $col
            (br_if $cols (i32.ge_u (local.get $k) (local.get $fb)))
            (local.set $xv (v128.load (i32.add (local.get $x) (local.get $k))))
            (local.set $a0 (f32x4.add (local.get $a0)
              (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $y) (local.get $k))))))
            (local.set $a1 (f32x4.add (local.get $a1)
              (f32x4.mul (local.get $xv)
                (v128.load (i32.add (i32.add (local.get $y) (local.get $fb)) (local.get $k))))))
            (local.set $a2 (f32x4.add (local.get $a2)
              (f32x4.mul (local.get $xv)
                (v128.load (i32.add (i32.add (local.get $y) (i32.shl (local.get $fb) (i32.const 1))) (local.get $k))))))
            (local.set $a3 (f32x4.add (local.get $a3)
              (f32x4.mul (local.get $xv)
                (v128.load (i32.add (i32.add (local.get $y) (i32.mul (local.get $fb) (i32.const 3))) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $col)))
        ;; u = (a0₀+a0₁, a1₀+a1₁, a0₂+a0₃, a1₂+a1₃), v likewise for a2, a3; then one more round.
        (local.set $u (f32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a0) (local.get $a1))
          (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $v (f32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a2) (local.get $a3))
          (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
        (v128.store (local.get $out) (f32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u) (local.get $v))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u) (local.get $v))))
        (local.set $y (i32.add (local.get $y) (i32.shl (local.get $fb) (i32.const 2))))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $quad)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $rest
      (loop $one
        (br_if $rest (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out) (call $dot (local.get $x) (local.get $y) (local.get $f)))
        (local.set $y (i32.add (local.get $y) (local.get $fb)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $one))))

;; out += Σ y_iᵀ y_i over the n rows of y (n × f): out is f × f, full (both triangles). Four rows at a time
  ;; (a rank-4 update): each row of out is loaded and stored once per four rows of y instead of once per row.
  (func (export "gramAdd") (param $y i32) (param $n i32) (param $f i32) (param $out i32)
    (local $fb i32) (local $end i32) (local $a i32) (local $row i32) (local $k i32)
    (local $y1 i32) (local $y2 i32) (local $y3 i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $fb (i32.shl (local.get $f) (i32.const 2)))
    (local.set $end (i32.add (local.get $y)
      (i32.mul (i32.and (local.get $n) (i32.const -4)) (local.get $fb))))
    (block $quads
      (loop $quad
        (br_if $quads (i32.ge_u (local.get $y) (local.get $end)))
        (local.set $y1 (i32.add (local.get $y) (local.get $fb)))
        (local.set $y2 (i32.add (local.get $y1) (local.get $fb)))
        (local.set $y3 (i32.add (local.get $y2) (local.get $fb)))
        (local.set $a (i32.const 0))
        (local.set $row (local.get $out))
        (block $cols
          (loop $col
            (br_if $cols (i32.ge_u (local.get $a) (local.get $fb)))
            (local.set $s0 (f32x4.splat (f32.load (i32.add (local.get $y) (local.get $a)))))
            (local.set $s1 (f32x4.splat (f32.load (i32.add (local.get $y1) (local.get $a)))))
            (local.set $s2 (f32x4.splat (f32.load (i32.add (local.get $y2) (local.get $a)))))
            (local.set $s3 (f32x4.splat (f32.load (i32.add (local.get $y3) (local.get $a)))))
            (local.set $k (i32.const 0))
            (block $done
              (loop $lane
                (br_if $done (i32.ge_u (local.get $k) (local.get $fb)))
                (v128.store (i32.add (local.get $row) (local.get $k))
                  (f32x4.add (v128.load (i32.add (local.get $row) (local.get $k)))
                    (f32x4.add
                      (f32x4.add
                        (f32x4.mul (local.get $s0) (v128.load (i32.add (local.get $y) (local.get $k))))
                        (f32x4.mul (local.get $s1) (v128.load (i32.add (local.get $y1) (local.get $k)))))
                      (f32x4.add
                        (f32x4.mul (local.get $s2) (v128.load (i32.add (local.get $y2) (local.get $k))))
                        (f32x4.mul (local.get $s3) (v128.load (i32.add (local.get $y3) (local.get $k))))))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $lane)))
            (local.set $a (i32.add (local.get $a) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (local.get $fb)))
            (br $col)))
        (local.set $y (i32.add (local.get $y3) (local.get $fb)))
        (br $quad)))
    (local.set $end (i32.add (local.get $end) (i32.mul (i32.and (local.get $n) (i32.const 3)) (local.get $fb))))
    (block $rows
      (loop $next
        (br_if $rows (i32.ge_u (local.get $y) (local.get $end)))
        (local.set $a (i32.const 0))
        (local.set $row (local.get $out))
        (block $cols1
          (loop $col1
            (br_if $cols1 (i32.ge_u (local.get $a) (local.get $fb)))
            (call $axpy (f32.load (i32.add (local.get $y) (local.get $a))) (local.get $y) (local.get $row) (local.get $f))
            (local.set $a (i32.add (local.get $a) (i32.const 4)))
            (local.set $row (i32.add (local.get $row) (local.get $fb)))
            (br $col1)))
        (local.set $y (i32.add (local.get $y) (local.get $fb)))
        (br $next))))

  ;; Σ over the nonzeros q ∈ [q, qend) of one row: out += coef_q · y_j (j = indices[q]), where d = y_j · v and
  ;; coef = c − (c − 1)·d when $residual (the CG residual) or (c − 1)·d otherwise (the CG product A·p). The
  ;; dot and the axpy are fused in one loop body over the factor rows, as `implicit` does, and the nonzeros go
  ;; in pairs: the two dots share each load of v and keep two rows' loads in flight at once (the rows are
  ;; scattered in memory: their fetches are most of the cost), and one pass adds both rows to out, loading
  ;; and storing out once per pair. An odd last nonzero goes alone.
  (func $accumulate (export "accumulate")
    (param $indices i32) (param $conf i32) (param $q i32) (param $qend i32) (param $y i32)
    (param $v i32) (param $out i32) (param $f i32) (param $residual i32)
    (local $fb i32) (local $f16 i32) (local $yo i32) (local $yp i32) (local $k i32) (local $c f32) (local $e f32)
    (local $d f32) (local $g f32) (local $vv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $cv v128) (local $ev v128)
    (local.set $fb (i32.shl (local.get $f) (i32.const 2)))
    (local.set $f16 (i32.and (local.get $fb) (i32.const -64)))
    (block $pairs
      (loop $pair
        (br_if $pairs (i32.ge_u (i32.add (local.get $q) (i32.const 1)) (local.get $qend)))
        (local.set $c (f32.load (i32.add (local.get $conf) (i32.shl (local.get $q) (i32.const 2)))))
        (local.set $e (f32.load offset=4 (i32.add (local.get $conf) (i32.shl (local.get $q) (i32.const 2)))))
        (local.set $yo (i32.add (local.get $y)
          (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (local.get $fb))))
        (local.set $yp (i32.add (local.get $y)
          (i32.mul (i32.load offset=4 (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (local.get $fb))))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $b0 (v128.const i32x4 0 0 0 0))
        (local.set $b1 (v128.const i32x4 0 0 0 0))
        (local.set $b2 (v128.const i32x4 0 0 0 0))
        (local.set $b3 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $dots
          (loop $dot16
            (br_if $dots (i32.ge_u (local.get $k) (local.get $f16)))
            (local.set $vv (v128.load (i32.add (local.get $v) (local.get $k))))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $vv) (v128.load (i32.add (local.get $yo) (local.get $k))))))
            (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $vv) (v128.load (i32.add (local.get $yp) (local.get $k))))))
            (local.set $vv (v128.load offset=16 (i32.add (local.get $v) (local.get $k))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $vv) (v128.load offset=16 (i32.add (local.get $yo) (local.get $k))))))
            (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $vv) (v128.load offset=16 (i32.add (local.get $yp) (local.get $k))))))
            (local.set $vv (v128.load offset=32 (i32.add (local.get $v) (local.get $k))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $vv) (v128.load offset=32 (i32.add (local.get $yo) (local.get $k))))))
            (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $vv) (v128.load offset=32 (i32.add (local.get $yp) (local.get $k))))))
            (local.set $vv (v128.load offset=48 (i32.add (local.get $v) (local.get $k))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $vv) (v128.load offset=48 (i32.add (local.get $yo) (local.get $k))))))
            (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $vv) (v128.load offset=48 (i32.add (local.get $yp) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 64)))
            (br $dot16)))
        (block $dots4
          (loop $dot4
            (br_if $dots4 (i32.ge_u (local.get $k) (local.get $fb)))
            (local.set $vv (v128.load (i32.add (local.get $v) (local.get $k))))
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $vv) (v128.load (i32.add (local.get $yo) (local.get $k))))))
            (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $vv) (v128.load (i32.add (local.get $yp) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $dot4)))
        (local.set $d (call $hsum (f32x4.add (f32x4.add (local.get $a0) (local.get $a1))
          (f32x4.add (local.get $a2) (local.get $a3)))))
        (local.set $g (call $hsum (f32x4.add (f32x4.add (local.get $b0) (local.get $b1))
          (f32x4.add (local.get $b2) (local.get $b3)))))
        (local.set $d (f32.mul (f32.sub (local.get $c) (f32.const 1)) (local.get $d)))
        (local.set $g (f32.mul (f32.sub (local.get $e) (f32.const 1)) (local.get $g)))
        (if (local.get $residual) (then
          (local.set $d (f32.sub (local.get $c) (local.get $d)))
          (local.set $g (f32.sub (local.get $e) (local.get $g)))))
        (local.set $cv (f32x4.splat (local.get $d)))
        (local.set $ev (f32x4.splat (local.get $g)))
        (local.set $k (i32.const 0))
        (block $axpys
          (loop $axpy4
            (br_if $axpys (i32.ge_u (local.get $k) (local.get $fb)))
            (v128.store (i32.add (local.get $out) (local.get $k)) (f32x4.add
              (v128.load (i32.add (local.get $out) (local.get $k)))
              (f32x4.add
                (f32x4.mul (local.get $cv) (v128.load (i32.add (local.get $yo) (local.get $k))))
                (f32x4.mul (local.get $ev) (v128.load (i32.add (local.get $yp) (local.get $k)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $axpy4)))
        (local.set $q (i32.add (local.get $q) (i32.const 2)))
        (br $pair)))
    (if (i32.lt_u (local.get $q) (local.get $qend)) (then
      (local.set $c (f32.load (i32.add (local.get $conf) (i32.shl (local.get $q) (i32.const 2)))))
      (local.set $yo (i32.add (local.get $y)
        (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $q) (i32.const 2)))) (local.get $fb))))
      (local.set $d (f32.mul (f32.sub (local.get $c) (f32.const 1)) (call $dot (local.get $yo) (local.get $v) (local.get $f))))
      (if (local.get $residual) (then (local.set $d (f32.sub (local.get $c) (local.get $d)))))
      (call $axpy (local.get $d) (local.get $yo) (local.get $out) (local.get $f)))))

  ;; One iALS half-step for rows [from, to) of the sparse matrix (indptr, indices: int32; conf: float32
  ;; confidences c = 1 + α·t(value)): refines each x_u in place by `steps` conjugate-gradient iterations on
  ;; (A + Y_uᵀ(C_u − I)Y_u) x_u = Y_uᵀ C_u 1, warm-started from x_u, where A = YᵀY + λI (f × f).
  ;; scratch holds 3·f floats (r, p, Ap).
  ;; A row with two nonzeros or more first copies its first min(nnz, $cap) factor rows, scattered over
  ;; the other side's matrix, into $buf (cap × f floats; $iota holds 0 … cap − 1): its four passes (residual and
  ;; three CG products) then read them in sequence from a block that stays in cache, instead of fetching the
  ;; scattered rows four times from memory. The sums are the same, in the same order. $cap = 0 gathers nothing.
  (func (export "cgRows")
    (param $indptr i32) (param $indices i32) (param $conf i32) (param $x i32) (param $y i32) (param $a i32)
    (param $f i32) (param $steps i32) (param $from i32) (param $to i32) (param $scratch i32)
    (param $buf i32) (param $iota i32) (param $cap i32)
    (local $fb i32) (local $u i32) (local $xu i32) (local $r i32) (local $p i32) (local $ap i32)
    (local $q i32) (local $qend i32) (local $it i32) (local $qg i32) (local $gi i32) (local $g i32)
    (local $rsold f32) (local $rsnew f32) (local $pap f32) (local $step f32)
    (local.set $fb (i32.shl (local.get $f) (i32.const 2)))
    (local.set $r (local.get $scratch))
    (local.set $p (i32.add (local.get $r) (local.get $fb)))
    (local.set $ap (i32.add (local.get $p) (local.get $fb)))
    (local.set $u (local.get $from))
    (block $users
      (loop $user
        (br_if $users (i32.ge_u (local.get $u) (local.get $to)))
        (local.set $xu (i32.add (local.get $x) (i32.mul (local.get $u) (local.get $fb))))
        (local.set $q (i32.load (i32.add (local.get $indptr) (i32.shl (local.get $u) (i32.const 2)))))
        (local.set $qend (i32.load (i32.add (local.get $indptr) (i32.shl (i32.add (local.get $u) (i32.const 1)) (i32.const 2)))))
        ;; Nonzeros [q, qg) are read from the gathered copy, [qg, qend) in place; $gi indexes the copy.
        (local.set $qg (local.get $q))
        (if (i32.ge_u (i32.sub (local.get $qend) (local.get $q)) (i32.const 2)) (then
          (local.set $qg (i32.add (local.get $q) (select (local.get $cap) (i32.sub (local.get $qend) (local.get $q))
            (i32.lt_u (local.get $cap) (i32.sub (local.get $qend) (local.get $q))))))
          (local.set $g (local.get $q))
          (block $copied
            (loop $copy
              (br_if $copied (i32.ge_u (local.get $g) (local.get $qg)))
              (memory.copy
                (i32.add (local.get $buf) (i32.mul (i32.sub (local.get $g) (local.get $q)) (local.get $fb)))
                (i32.add (local.get $y)
                  (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $g) (i32.const 2)))) (local.get $fb)))
                (local.get $fb))
              (local.set $g (i32.add (local.get $g) (i32.const 1)))
              (br $copy)))))
        (local.set $gi (i32.sub (local.get $iota) (i32.shl (local.get $q) (i32.const 2))))
        ;; r = b − (A + Y_uᵀ(C_u − I)Y_u) x = −A x + Σ (c − (c − 1) y·x) y
        (call $scores (local.get $xu) (local.get $a) (local.get $f) (local.get $f) (local.get $r))
        (call $negate (local.get $r) (local.get $f))
        (call $accumulate (local.get $gi) (local.get $conf) (local.get $q) (local.get $qg) (local.get $buf)
          (local.get $xu) (local.get $r) (local.get $f) (i32.const 1))
        (call $accumulate (local.get $indices) (local.get $conf) (local.get $qg) (local.get $qend) (local.get $y)
          (local.get $xu) (local.get $r) (local.get $f) (i32.const 1))
        ;; p = r
        (memory.copy (local.get $p) (local.get $r) (local.get $fb))
        (local.set $rsold (call $dot (local.get $r) (local.get $r) (local.get $f)))
        (local.set $it (i32.const 0))
        (block $converged
          (loop $iterate
            (br_if $converged (i32.ge_u (local.get $it) (local.get $steps)))
            (br_if $converged (i32.eqz (f32.gt (local.get $rsold) (f32.const 1e-20))))
            ;; Ap = A p + Σ (c − 1)(y·p) y
            (call $scores (local.get $p) (local.get $a) (local.get $f) (local.get $f) (local.get $ap))
            (call $accumulate (local.get $gi) (local.get $conf) (local.get $q) (local.get $qg) (local.get $buf)
              (local.get $p) (local.get $ap) (local.get $f) (i32.const 0))
            (call $accumulate (local.get $indices) (local.get $conf) (local.get $qg) (local.get $qend) (local.get $y)
              (local.get $p) (local.get $ap) (local.get $f) (i32.const 0))
            (local.set $pap (call $dot (local.get $p) (local.get $ap) (local.get $f)))
            (br_if $converged (i32.eqz (f32.gt (local.get $pap) (f32.const 0))))
            (local.set $step (f32.div (local.get $rsold) (local.get $pap)))
            (call $axpy (local.get $step) (local.get $p) (local.get $xu) (local.get $f))
            (call $axpy (f32.neg (local.get $step)) (local.get $ap) (local.get $r) (local.get $f))
            (local.set $rsnew (call $dot (local.get $r) (local.get $r) (local.get $f)))
            (call $xpby (local.get $r) (f32.div (local.get $rsnew) (local.get $rsold)) (local.get $p) (local.get $f))
            (local.set $rsold (local.get $rsnew))
            (local.set $it (i32.add (local.get $it) (i32.const 1)))
            (br $iterate)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $user))))

;; Fold-in's system (ials-scoring.ts): a += Σ_q w_q · y_q y_qᵀ on the lower triangle (j ≤ i) of the float64
  ;; f × f matrix a, for the n float32 rows y_q = y + items[q]·f of y and float64 weights w[q] (c_q − 1). Per
  ;; element the same operations in the same order as the JavaScript loop — t = w_q · y_q[i], then a[i][j] +=
  ;; t · y_q[j], nonzero by nonzero, without fused multiply-adds — two j per f64x2 instruction: the same sums.
  (func (export "foldGram") (param $y i32) (param $items i32) (param $w i32) (param $n i32) (param $f i32) (param $a i32)
    (local $q i32) (local $yo i32) (local $i i32) (local $j i32) (local $row i32) (local $t f64) (local $tv v128)
    (local $fb i32)
    (local.set $fb (i32.shl (local.get $f) (i32.const 2)))
    (block $done
      (loop $nonzero
        (br_if $done (i32.ge_u (local.get $q) (local.get $n)))
        (local.set $yo (i32.add (local.get $y)
          (i32.mul (i32.load (i32.add (local.get $items) (i32.shl (local.get $q) (i32.const 2)))) (local.get $fb))))
        (local.set $i (i32.const 0))
        (local.set $row (local.get $a))
        (block $rows
          (loop $next
            (br_if $rows (i32.ge_u (local.get $i) (local.get $f)))
            (local.set $t (f64.mul (f64.load (i32.add (local.get $w) (i32.shl (local.get $q) (i32.const 3))))
              (f64.promote_f32 (f32.load (i32.add (local.get $yo) (i32.shl (local.get $i) (i32.const 2)))))))
            (local.set $tv (f64x2.splat (local.get $t)))
            (local.set $j (i32.const 0))
            ;; j, j + 1 ≤ i
            (block $pairs
              (loop $pair
                (br_if $pairs (i32.ge_u (local.get $j) (local.get $i)))
                (v128.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3)))
                  (f64x2.add (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
                    (f64x2.mul (local.get $tv) (f64x2.promote_low_f32x4
                      (v128.load64_zero (i32.add (local.get $yo) (i32.shl (local.get $j) (i32.const 2))))))))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br $pair)))
            ;; An even i leaves j = i alone.
            (if (i32.eq (local.get $j) (local.get $i)) (then
              (f64.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3)))
                (f64.add (f64.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))))
                  (f64.mul (local.get $t)
                    (f64.promote_f32 (f32.load (i32.add (local.get $yo) (i32.shl (local.get $j) (i32.const 2))))))))))
            (local.set $row (i32.add (local.get $row) (i32.shl (local.get $f) (i32.const 3))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $nonzero))))

  ;; ---- float64 kernels of the blocked SPD inverse (blocked-spd.ts; EASE) ----
  ;; Pointers are byte addresses (8-byte aligned), strides are in elements. f64x2 along k: two products per
  ;; instruction where the JavaScript loop makes one, and no bounds check per element.

  ;; Σ_{k<len} a[k]·b[k], four at a time in two accumulators, then pairs and a last single.
  (func $dot64 (param $a i32) (param $b i32) (param $len i32) (result f64)
    (local $end i32) (local $s0 v128) (local $s1 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $len) (i32.const -4)) (i32.const 3))))
    (block $quads
      (loop $quad
        (br_if $quads (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $s0 (f64x2.relaxed_madd (v128.load (local.get $a)) (v128.load (local.get $b)) (local.get $s0)))
        (local.set $s1 (f64x2.relaxed_madd (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)) (local.get $s1)))
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br $quad)))
    (if (i32.and (local.get $len) (i32.const 2))
      (then
        (local.set $s0 (f64x2.relaxed_madd (v128.load (local.get $a)) (v128.load (local.get $b)) (local.get $s0)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))))
    (if (i32.and (local.get $len) (i32.const 1))
      (then
        (local.set $s1 (f64x2.relaxed_madd (v128.load64_zero (local.get $a)) (v128.load64_zero (local.get $b)) (local.get $s1)))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))

  ;; *p += s · v
  (func $addTo (param $p i32) (param $s f64) (param $v f64)
    (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $s) (local.get $v)))))

  ;; c[i][j] += s · Σ_{k<kc} a[i][k] · b[j][k] for i < m, j < nc: the 4×2 register tile of blocked-spd.ts's
  ;; gemmNT with f64x2 accumulators along k (eight accumulators, six loads per eight multiply-adds).
  (func (export "gemmNT") (param $m i32) (param $nc i32) (param $kc i32) (param $s f64)
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (local $i i32) (local $j i32) (local $k i32) (local $kend i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $b0 i32) (local $b1 i32)
    (local $c0 i32) (local $cj i32)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local $x0 v128) (local $x1 v128) (local $y v128) (local $sv v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $lda (i32.shl (local.get $lda) (i32.const 3)))
    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 3)))
    (local.set $kend (i32.shl (i32.and (local.get $kc) (i32.const -2)) (i32.const 3)))
    (block $rows4
      (loop $row4
        (br_if $rows4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $lda)))
        (local.set $a2 (i32.add (local.get $a1) (local.get $lda)))
        (local.set $a3 (i32.add (local.get $a2) (local.get $lda)))
        (local.set $c0 (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))
        (local.set $j (i32.const 0))
        (block $cols2
          (loop $col2
            (br_if $cols2 (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $nc)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldb))))
            (local.set $b1 (i32.add (local.get $b0) (local.get $ldb)))
            (local.set $s00 (v128.const i64x2 0 0))
            (local.set $s01 (v128.const i64x2 0 0))
            (local.set $s10 (v128.const i64x2 0 0))
            (local.set $s11 (v128.const i64x2 0 0))
            (local.set $s20 (v128.const i64x2 0 0))
            (local.set $s21 (v128.const i64x2 0 0))
            (local.set $s30 (v128.const i64x2 0 0))
            (local.set $s31 (v128.const i64x2 0 0))
            (local.set $k (i32.const 0))
            (block $ks
              (loop $kloop
                (br_if $ks (i32.ge_u (local.get $k) (local.get $kend)))
                (local.set $x0 (v128.load (i32.add (local.get $b0) (local.get $k))))
                (local.set $x1 (v128.load (i32.add (local.get $b1) (local.get $k))))
                (local.set $y (v128.load (i32.add (local.get $a0) (local.get $k))))
                (local.set $s00 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $s00)))
                (local.set $s01 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $s01)))
                (local.set $y (v128.load (i32.add (local.get $a1) (local.get $k))))
                (local.set $s10 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $s10)))
                (local.set $s11 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $s11)))
                (local.set $y (v128.load (i32.add (local.get $a2) (local.get $k))))
                (local.set $s20 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $s20)))
                (local.set $s21 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $s21)))
                (local.set $y (v128.load (i32.add (local.get $a3) (local.get $k))))
                (local.set $s30 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $s30)))
                (local.set $s31 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $s31)))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $kloop)))
            (if (i32.and (local.get $kc) (i32.const 1))
              (then
                ;; The last k alone: lane 1 of every operand is zero.
                (local.set $x0 (v128.load64_zero (i32.add (local.get $b0) (local.get $k))))
                (local.set $x1 (v128.load64_zero (i32.add (local.get $b1) (local.get $k))))
                (local.set $y (v128.load64_zero (i32.add (local.get $a0) (local.get $k))))
                (local.set $s00 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $s00)))
                (local.set $s01 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $s01)))
                (local.set $y (v128.load64_zero (i32.add (local.get $a1) (local.get $k))))
                (local.set $s10 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $s10)))
                (local.set $s11 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $s11)))
                (local.set $y (v128.load64_zero (i32.add (local.get $a2) (local.get $k))))
                (local.set $s20 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $s20)))
                (local.set $s21 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $s21)))
                (local.set $y (v128.load64_zero (i32.add (local.get $a3) (local.get $k))))
                (local.set $s30 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $s30)))
                (local.set $s31 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $s31)))))
            ;; c[r][j..j+1] += s · (lane sums of s_r0, s_r1), pairwise by two shuffles, with no call: a call
            ;; would spill the eight accumulators.
            (local.set $cj (i32.add (local.get $c0) (i32.shl (local.get $j) (i32.const 3))))
            (v128.store (local.get $cj) (f64x2.relaxed_madd (local.get $sv)
              (f64x2.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s00) (local.get $s01))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s00) (local.get $s01)))
              (v128.load (local.get $cj))))
            (local.set $cj (i32.add (local.get $cj) (local.get $ldc)))
            (v128.store (local.get $cj) (f64x2.relaxed_madd (local.get $sv)
              (f64x2.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s10) (local.get $s11))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s10) (local.get $s11)))
              (v128.load (local.get $cj))))
            (local.set $cj (i32.add (local.get $cj) (local.get $ldc)))
            (v128.store (local.get $cj) (f64x2.relaxed_madd (local.get $sv)
              (f64x2.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s20) (local.get $s21))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s20) (local.get $s21)))
              (v128.load (local.get $cj))))
            (local.set $cj (i32.add (local.get $cj) (local.get $ldc)))
            (v128.store (local.get $cj) (f64x2.relaxed_madd (local.get $sv)
              (f64x2.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s30) (local.get $s31))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s30) (local.get $s31)))
              (v128.load (local.get $cj))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $col2)))
        (if (i32.lt_u (local.get $j) (local.get $nc))
          (then
            ;; An odd last column: four dot products against one row of b.
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldb))))
            (local.set $cj (i32.add (local.get $c0) (i32.shl (local.get $j) (i32.const 3))))
            (call $addTo (local.get $cj) (local.get $s) (call $dot64 (local.get $a0) (local.get $b0) (local.get $kc)))
            (local.set $cj (i32.add (local.get $cj) (local.get $ldc)))
            (call $addTo (local.get $cj) (local.get $s) (call $dot64 (local.get $a1) (local.get $b0) (local.get $kc)))
            (local.set $cj (i32.add (local.get $cj) (local.get $ldc)))
            (call $addTo (local.get $cj) (local.get $s) (call $dot64 (local.get $a2) (local.get $b0) (local.get $kc)))
            (local.set $cj (i32.add (local.get $cj) (local.get $ldc)))
            (call $addTo (local.get $cj) (local.get $s) (call $dot64 (local.get $a3) (local.get $b0) (local.get $kc)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $row4)))
    ;; The last m mod 4 rows: one dot product per element.
    (block $rows1
      (loop $row1
        (br_if $rows1 (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
        (local.set $cj (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))
        (local.set $b0 (local.get $b))
        (local.set $j (i32.const 0))
        (block $cols1
          (loop $col1
            (br_if $cols1 (i32.ge_u (local.get $j) (local.get $nc)))
            (call $addTo (local.get $cj) (local.get $s) (call $dot64 (local.get $a0) (local.get $b0) (local.get $kc)))
            (local.set $cj (i32.add (local.get $cj) (i32.const 8)))
            (local.set $b0 (i32.add (local.get $b0) (local.get $ldb)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $col1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row1))))

  ;; One row x of a triangular solve against the lower-triangular l (n × n, row-major): for c in [c0, c1),
  ;; x[c] = (x[c] + (c = unit ? 1 : 0) − Σ_{c0 ≤ k < c} x[k] · l[c][k]) / l[c][c]. The Cholesky panel
  ;; (unit = −1) and the triangles of L⁻ᵀ (unit = the row's own index) are both this.
  (func (export "solveRow") (param $x i32) (param $l i32) (param $n i32) (param $c0 i32) (param $c1 i32)
    (param $unit i32)
    (local $c i32) (local $lc i32) (local $xc i32) (local $v f64)
    (local.set $c (local.get $c0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $c) (local.get $c1)))
        (local.set $lc (i32.add (local.get $l) (i32.shl (i32.mul (local.get $c) (local.get $n)) (i32.const 3))))
        (local.set $xc (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 3))))
        (local.set $v (f64.load (local.get $xc)))
        (if (i32.eq (local.get $c) (local.get $unit)) (then (local.set $v (f64.add (local.get $v) (f64.const 1)))))
        (local.set $v (f64.sub (local.get $v)
          (call $dot64
            (i32.add (local.get $x) (i32.shl (local.get $c0) (i32.const 3)))
            (i32.add (local.get $lc) (i32.shl (local.get $c0) (i32.const 3)))
            (i32.sub (local.get $c) (local.get $c0)))))
        (f64.store (local.get $xc)
          (f64.div (local.get $v) (f64.load (i32.add (local.get $lc) (i32.shl (local.get $c) (i32.const 3))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $next))))
)
