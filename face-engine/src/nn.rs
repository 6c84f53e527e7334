//! The handful of tensor operations the two networks need, in plain Rust (no BLAS).
//! Layout is HWC (batch 1), matching TF.js. Shapes come from the hash-verified
//! embedded weights and fixed input sizes, so index arithmetic is correct by
//! construction; inputs are checked where they enter (`Map::from_input`).

/// A feature map: `h` x `w` x `c`, channels fastest.
#[derive(Clone, Debug)]
pub(crate) struct Map {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pad {
    /// TF "same": output = ceil(in / stride), padding split with the extra row/column
    /// at the bottom/right.
    Same,
    Valid,
}

/// Convolution filter in TF layout `[kh, kw, cin, cout]`.
pub(crate) struct Conv {
    pub k: usize,
    pub cin: usize,
    pub cout: usize,
    pub w: Vec<f32>,
    pub bias: Vec<f32>,
}

/// Depthwise-separable convolution: depthwise `[3, 3, cin, 1]`, pointwise `[1, 1, cin, cout]`.
pub(crate) struct SepConv {
    pub cin: usize,
    pub cout: usize,
    pub depthwise: Vec<f32>,
    pub pointwise: Vec<f32>,
    pub bias: Vec<f32>,
}

fn out_dim(size: usize, k: usize, stride: usize, pad: Pad) -> (usize, usize) {
    match pad {
        Pad::Same => {
            let out = size.div_ceil(stride);
            let total = ((out.saturating_sub(1)) * stride + k).saturating_sub(size);
            (out, total / 2)
        }
        Pad::Valid => {
            if size < k {
                (0, 0)
            } else {
                ((size - k) / stride + 1, 0)
            }
        }
    }
}

impl Map {
    pub fn zeros(h: usize, w: usize, c: usize) -> Self {
        Self {
            h,
            w,
            c,
            data: vec![0.0; h * w * c],
        }
    }

    /// Normalises an RGB 0..255 image the way face-api does: (x - mean) / 255.
    pub fn from_input(rgb: &[f32], size: usize) -> Option<Self> {
        if rgb.len() != size * size * 3 {
            return None;
        }
        const MEAN: [f32; 3] = [122.782, 117.001, 104.298];
        let data = rgb
            .chunks_exact(3)
            .flat_map(|p| {
                [
                    (p[0] - MEAN[0]) / 255.0,
                    (p[1] - MEAN[1]) / 255.0,
                    (p[2] - MEAN[2]) / 255.0,
                ]
            })
            .collect();
        Some(Self {
            h: size,
            w: size,
            c: 3,
            data,
        })
    }

    pub fn relu(mut self) -> Self {
        for v in &mut self.data {
            *v = v.max(0.0);
        }
        self
    }

    pub fn add(mut self, other: &Map) -> Self {
        for (a, b) in self.data.iter_mut().zip(&other.data) {
            *a += b;
        }
        self
    }

    /// Per-channel `x * scale + bias`.
    pub fn scale(mut self, scale: &[f32], bias: &[f32]) -> Self {
        for px in self.data.chunks_exact_mut(self.c) {
            for ((v, s), b) in px.iter_mut().zip(scale).zip(bias) {
                *v = *v * s + b;
            }
        }
        self
    }

    pub fn conv(&self, conv: &Conv, stride: usize, pad: Pad) -> Map {
        let (k, cin, cout) = (conv.k, conv.cin, conv.cout);
        let (oh, pt) = out_dim(self.h, k, stride, pad);
        let (ow, pl) = out_dim(self.w, k, stride, pad);
        let mut out = Map::zeros(oh, ow, cout);
        for oy in 0..oh {
            for ox in 0..ow {
                let o = &mut out.data[(oy * ow + ox) * cout..][..cout];
                o.copy_from_slice(&conv.bias);
                for ky in 0..k {
                    let iy = (oy * stride + ky) as isize - pt as isize;
                    if iy < 0 || iy >= self.h as isize {
                        continue;
                    }
                    for kx in 0..k {
                        let ix = (ox * stride + kx) as isize - pl as isize;
                        if ix < 0 || ix >= self.w as isize {
                            continue;
                        }
                        let xin = &self.data[(iy as usize * self.w + ix as usize) * cin..][..cin];
                        let wk = &conv.w[(ky * k + kx) * cin * cout..][..cin * cout];
                        for (&v, wrow) in xin.iter().zip(wk.chunks_exact(cout)) {
                            for (acc, &wv) in o.iter_mut().zip(wrow) {
                                *acc += v * wv;
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// TF `separableConv2d` (3x3 depthwise with `stride`, "same") then pointwise, plus bias.
    pub fn sep_conv(&self, sc: &SepConv, stride: usize) -> Map {
        let c = sc.cin;
        let (oh, pt) = out_dim(self.h, 3, stride, Pad::Same);
        let (ow, pl) = out_dim(self.w, 3, stride, Pad::Same);
        let mut dw = Map::zeros(oh, ow, c);
        for oy in 0..oh {
            for ox in 0..ow {
                let o = &mut dw.data[(oy * ow + ox) * c..][..c];
                for ky in 0..3 {
                    let iy = (oy * stride + ky) as isize - pt as isize;
                    if iy < 0 || iy >= self.h as isize {
                        continue;
                    }
                    for kx in 0..3 {
                        let ix = (ox * stride + kx) as isize - pl as isize;
                        if ix < 0 || ix >= self.w as isize {
                            continue;
                        }
                        let xin = &self.data[(iy as usize * self.w + ix as usize) * c..][..c];
                        let wk = &sc.depthwise[(ky * 3 + kx) * c..][..c];
                        for ((acc, &v), &wv) in o.iter_mut().zip(xin).zip(wk) {
                            *acc += v * wv;
                        }
                    }
                }
            }
        }
        let cout = sc.cout;
        let mut out = Map::zeros(oh, ow, cout);
        for (xin, o) in dw.data.chunks_exact(c).zip(out.data.chunks_exact_mut(cout)) {
            o.copy_from_slice(&sc.bias);
            for (&v, wrow) in xin.iter().zip(sc.pointwise.chunks_exact(cout)) {
                for (acc, &wv) in o.iter_mut().zip(wrow) {
                    *acc += v * wv;
                }
            }
        }
        out
    }

    fn pool(&self, k: usize, stride: usize, max: bool) -> Map {
        let (oh, _) = out_dim(self.h, k, stride, Pad::Valid);
        let (ow, _) = out_dim(self.w, k, stride, Pad::Valid);
        let c = self.c;
        let mut out = Map::zeros(oh, ow, c);
        let inv = 1.0 / (k * k) as f32;
        for oy in 0..oh {
            for ox in 0..ow {
                let o = &mut out.data[(oy * ow + ox) * c..][..c];
                if max {
                    o.fill(f32::NEG_INFINITY);
                }
                for ky in 0..k {
                    for kx in 0..k {
                        let (iy, ix) = (oy * stride + ky, ox * stride + kx);
                        let xin = &self.data[(iy * self.w + ix) * c..][..c];
                        for (acc, &v) in o.iter_mut().zip(xin) {
                            if max {
                                *acc = acc.max(v);
                            } else {
                                *acc += v;
                            }
                        }
                    }
                }
                if !max {
                    for v in o.iter_mut() {
                        *v *= inv;
                    }
                }
            }
        }
        out
    }

    pub fn max_pool(&self, k: usize, stride: usize) -> Map {
        self.pool(k, stride, true)
    }

    pub fn avg_pool(&self, k: usize, stride: usize) -> Map {
        self.pool(k, stride, false)
    }

    /// Zero-pads (bottom/right) spatially and channel-wise up to the given size.
    pub fn pad_to(&self, h: usize, w: usize, c: usize) -> Map {
        if (h, w, c) == (self.h, self.w, self.c) {
            return self.clone();
        }
        let mut out = Map::zeros(h, w, c);
        let cc = self.c.min(c);
        for y in 0..self.h.min(h) {
            for x in 0..self.w.min(w) {
                let src = &self.data[(y * self.w + x) * self.c..][..cc];
                out.data[(y * w + x) * c..][..cc].copy_from_slice(src);
            }
        }
        out
    }

    /// Mean over all positions: one value per channel.
    pub fn global_mean(&self) -> Vec<f32> {
        let mut acc = vec![0.0f32; self.c];
        for px in self.data.chunks_exact(self.c) {
            for (a, &v) in acc.iter_mut().zip(px) {
                *a += v;
            }
        }
        let n = (self.h * self.w).max(1) as f32;
        acc.iter().map(|a| a / n).collect()
    }
}

/// `x · W (+ b)` with `W` in TF layout `[in, out]`.
pub(crate) fn dense(x: &[f32], w: &[f32], bias: Option<&[f32]>, out: usize) -> Vec<f32> {
    let mut acc = match bias {
        Some(b) => b.to_vec(),
        None => vec![0.0; out],
    };
    for (&v, wrow) in x.iter().zip(w.chunks_exact(out)) {
        for (a, &wv) in acc.iter_mut().zip(wrow) {
            *a += v * wv;
        }
    }
    acc
}
