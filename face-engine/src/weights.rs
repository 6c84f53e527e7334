//! Reader for the TensorFlow.js weight format: a `*-weights_manifest.json` that lists
//! tensors (name, shape, dtype, optional uint8/uint16 affine quantisation) and a binary
//! blob holding them back to back in manifest order.

use crate::EngineError;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Group {
    weights: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    shape: Vec<usize>,
    dtype: String,
    quantization: Option<Quantization>,
}

#[derive(Deserialize)]
struct Quantization {
    dtype: String,
    scale: Option<f64>,
    min: Option<f64>,
}

/// Turns one stored element (1, 2 or 4 bytes) into its float value.
type Decoder = Box<dyn Fn(&[u8]) -> f32>;

/// A dequantised tensor: shape and row-major (TF.js order) values.
pub(crate) struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

pub(crate) struct WeightMap {
    tensors: HashMap<String, Tensor>,
}

fn model_err(msg: String) -> EngineError {
    EngineError::Model(msg)
}

impl WeightMap {
    pub fn parse(manifest: &[u8], blob: &[u8]) -> Result<Self, EngineError> {
        let groups: Vec<Group> = serde_json::from_slice(manifest)
            .map_err(|e| model_err(format!("weights manifest: {e}")))?;
        let mut tensors = HashMap::new();
        let mut offset = 0usize;
        for entry in groups.into_iter().flat_map(|g| g.weights) {
            if entry.dtype != "float32" {
                return Err(model_err(format!(
                    "{}: unsupported dtype {}",
                    entry.name, entry.dtype
                )));
            }
            let count = entry
                .shape
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| model_err(format!("{}: shape overflows", entry.name)))?;
            let (bytes_per, decode): (usize, Decoder) = match &entry.quantization {
                None => (
                    4,
                    Box::new(|b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                ),
                Some(q) => {
                    let (Some(scale), Some(min)) = (q.scale, q.min) else {
                        return Err(model_err(format!(
                            "{}: quantisation without scale/min",
                            entry.name
                        )));
                    };
                    match q.dtype.as_str() {
                        // TF.js dequantises in double precision, then stores float32.
                        "uint8" => (
                            1,
                            Box::new(move |b: &[u8]| (f64::from(b[0]) * scale + min) as f32),
                        ),
                        "uint16" => (
                            2,
                            Box::new(move |b: &[u8]| {
                                (f64::from(u16::from_le_bytes([b[0], b[1]])) * scale + min) as f32
                            }),
                        ),
                        other => {
                            return Err(model_err(format!(
                                "{}: unsupported quantisation {other}",
                                entry.name
                            )));
                        }
                    }
                }
            };
            let len = count
                .checked_mul(bytes_per)
                .ok_or_else(|| model_err(format!("{}: size overflows", entry.name)))?;
            let end = offset
                .checked_add(len)
                .filter(|&e| e <= blob.len())
                .ok_or_else(|| model_err(format!("{}: weights file too short", entry.name)))?;
            let data: Vec<f32> = blob
                .get(offset..end)
                .unwrap_or_default()
                .chunks_exact(bytes_per)
                .map(&decode)
                .collect();
            offset = end;
            tensors.insert(
                entry.name,
                Tensor {
                    shape: entry.shape,
                    data,
                },
            );
        }
        if offset != blob.len() {
            return Err(model_err(format!(
                "weights file has {} bytes, manifest describes {offset}",
                blob.len()
            )));
        }
        Ok(Self { tensors })
    }

    /// Takes a tensor out of the map, checking its shape.
    pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EngineError> {
        let t = self
            .tensors
            .remove(name)
            .ok_or_else(|| model_err(format!("missing tensor {name}")))?;
        if t.shape != shape {
            return Err(model_err(format!(
                "tensor {name}: shape {:?}, expected {shape:?}",
                t.shape
            )));
        }
        Ok(t.data)
    }

    /// Shape of a tensor still in the map (for layers whose width is read from the file).
    pub fn shape(&self, name: &str) -> Result<Vec<usize>, EngineError> {
        self.tensors
            .get(name)
            .map(|t| t.shape.clone())
            .ok_or_else(|| model_err(format!("missing tensor {name}")))
    }
}
