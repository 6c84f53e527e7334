//! The two face-api networks, re-implemented on top of [`crate::nn`]:
//! the 68-point landmark net (`FaceLandmark68Net`, input 112x112) and the
//! 128-d descriptor net (`FaceRecognitionNet`, dlib's ResNet, input 150x150).

use crate::EngineError;
use crate::nn::{Conv, Map, Pad, SepConv, dense};
use crate::weights::WeightMap;

pub(crate) const LANDMARK_INPUT: usize = 112;
pub(crate) const DESCRIPTOR_INPUT: usize = 150;

fn conv(wm: &mut WeightMap, prefix: &str, bias_name: &str) -> Result<Conv, EngineError> {
    let fname = format!("{prefix}/filters");
    let shape = wm.shape(&fname)?;
    let [k, k2, cin, cout] = shape[..] else {
        return Err(EngineError::Model(format!("{fname}: not 4-d")));
    };
    if k != k2 {
        return Err(EngineError::Model(format!("{fname}: non-square kernel")));
    }
    Ok(Conv {
        k,
        cin,
        cout,
        w: wm.take(&fname, &shape)?,
        bias: wm.take(&format!("{prefix}/{bias_name}"), &[cout])?,
    })
}

fn sep_conv(wm: &mut WeightMap, prefix: &str) -> Result<SepConv, EngineError> {
    let pname = format!("{prefix}/pointwise_filter");
    let shape = wm.shape(&pname)?;
    let [1, 1, cin, cout] = shape[..] else {
        return Err(EngineError::Model(format!("{pname}: not [1,1,cin,cout]")));
    };
    Ok(SepConv {
        cin,
        cout,
        depthwise: wm.take(&format!("{prefix}/depthwise_filter"), &[3, 3, cin, 1])?,
        pointwise: wm.take(&pname, &shape)?,
        bias: wm.take(&format!("{prefix}/bias"), &[cout])?,
    })
}

enum First {
    Conv(Conv),
    Sep(SepConv),
}

struct DenseBlock {
    conv0: First,
    convs: [SepConv; 3],
}

impl DenseBlock {
    /// `out1 = relu(conv0(x))`, then each further conv sees the ReLU of the sum of all
    /// previous outputs; the block returns the ReLU of the sum of all four.
    fn forward(&self, x: &Map) -> Map {
        let out1 = match &self.conv0 {
            First::Conv(c) => x.conv(c, 2, Pad::Same),
            First::Sep(s) => x.sep_conv(s, 2),
        }
        .relu();
        let mut sum = out1;
        for sc in &self.convs {
            let next = sum.clone().relu().sep_conv(sc, 1);
            sum = sum.add(&next);
        }
        sum.relu()
    }
}

pub(crate) struct LandmarkNet {
    blocks: Vec<DenseBlock>,
    fc_w: Vec<f32>,
    fc_b: Vec<f32>,
}

impl LandmarkNet {
    pub fn load(manifest: &[u8], blob: &[u8]) -> Result<Self, EngineError> {
        let mut wm = WeightMap::parse(manifest, blob)?;
        let mut blocks = Vec::new();
        for i in 0..4 {
            let p = format!("dense{i}");
            let conv0 = if i == 0 {
                First::Conv(conv(&mut wm, &format!("{p}/conv0"), "bias")?)
            } else {
                First::Sep(sep_conv(&mut wm, &format!("{p}/conv0"))?)
            };
            let convs = [
                sep_conv(&mut wm, &format!("{p}/conv1"))?,
                sep_conv(&mut wm, &format!("{p}/conv2"))?,
                sep_conv(&mut wm, &format!("{p}/conv3"))?,
            ];
            blocks.push(DenseBlock { conv0, convs });
        }
        Ok(Self {
            blocks,
            fc_w: wm.take("fc/weights", &[256, 136])?,
            fc_b: wm.take("fc/bias", &[136])?,
        })
    }

    /// `rgb`: 112x112x3 values in 0..255. Returns 68 (x, y) pairs in 0..1 of the input.
    pub fn forward(&self, rgb: &[f32]) -> Result<Vec<f32>, EngineError> {
        let mut x = Map::from_input(rgb, LANDMARK_INPUT)
            .ok_or_else(|| EngineError::Internal("landmark input size".into()))?;
        for b in &self.blocks {
            x = b.forward(&x);
        }
        // 7x7 map -> 7x7 average pool stride 2 "valid" -> 1x1x256.
        let pooled = x.avg_pool(7, 2);
        Ok(dense(&pooled.data, &self.fc_w, Some(&self.fc_b), 136))
    }
}

/// conv + bias followed by a per-channel affine "scale" layer.
struct ScaledConv {
    conv: Conv,
    scale_w: Vec<f32>,
    scale_b: Vec<f32>,
}

impl ScaledConv {
    fn load(wm: &mut WeightMap, prefix: &str) -> Result<Self, EngineError> {
        let conv = conv(wm, &format!("{prefix}/conv"), "bias")?;
        let c = conv.cout;
        Ok(Self {
            conv,
            scale_w: wm.take(&format!("{prefix}/scale/weights"), &[c])?,
            scale_b: wm.take(&format!("{prefix}/scale/biases"), &[c])?,
        })
    }

    fn forward(&self, x: &Map, stride: usize, pad: Pad) -> Map {
        x.conv(&self.conv, stride, pad)
            .scale(&self.scale_w, &self.scale_b)
    }
}

struct Residual {
    conv1: ScaledConv,
    conv2: ScaledConv,
    down: bool,
}

impl Residual {
    fn forward(&self, x: &Map) -> Map {
        if !self.down {
            let out = self.conv1.forward(x, 1, Pad::Same).relu();
            let out = self.conv2.forward(&out, 1, Pad::Same);
            return out.add(x).relu();
        }
        let out = self.conv1.forward(x, 2, Pad::Valid).relu();
        let out = self.conv2.forward(&out, 1, Pad::Same);
        let pooled = x.avg_pool(2, 2);
        // The strided "valid" conv can be one row/column smaller than the pooled
        // shortcut: zero-pad it at the bottom/right; zero-pad the shortcut's channels.
        let out = out.pad_to(pooled.h.max(out.h), pooled.w.max(out.w), out.c);
        let pooled = pooled.pad_to(pooled.h, pooled.w, out.c);
        pooled.add(&out).relu()
    }
}

pub(crate) struct DescriptorNet {
    stem: ScaledConv,
    layers: Vec<Residual>,
    fc: Vec<f32>,
}

impl DescriptorNet {
    pub fn load(manifest: &[u8], blob: &[u8]) -> Result<Self, EngineError> {
        let mut wm = WeightMap::parse(manifest, blob)?;
        let stem = ScaledConv::load(&mut wm, "conv32_down")?;
        let names = [
            "conv32_1",
            "conv32_2",
            "conv32_3",
            "conv64_down",
            "conv64_1",
            "conv64_2",
            "conv64_3",
            "conv128_down",
            "conv128_1",
            "conv128_2",
            "conv256_down",
            "conv256_1",
            "conv256_2",
            "conv256_down_out",
        ];
        let mut layers = Vec::new();
        for n in names {
            layers.push(Residual {
                conv1: ScaledConv::load(&mut wm, &format!("{n}/conv1"))?,
                conv2: ScaledConv::load(&mut wm, &format!("{n}/conv2"))?,
                down: n.contains("down"),
            });
        }
        Ok(Self {
            stem,
            layers,
            fc: wm.take("fc", &[256, 128])?,
        })
    }

    /// `rgb`: 150x150x3 aligned face, values in 0..255. Returns the 128-d descriptor.
    pub fn forward(&self, rgb: &[f32]) -> Result<Vec<f32>, EngineError> {
        let x = Map::from_input(rgb, DESCRIPTOR_INPUT)
            .ok_or_else(|| EngineError::Internal("descriptor input size".into()))?;
        let mut x = self.stem.forward(&x, 2, Pad::Valid).relu().max_pool(3, 2);
        for l in &self.layers {
            x = l.forward(&x);
        }
        Ok(dense(&x.global_mean(), &self.fc, None, 128))
    }
}
