// Generates the reference outputs that face-engine/tests/reference.rs compares the
// Rust networks against. It runs the npm package's OWN TF.js code (the ESM bundle
// dist/face-api.esm.js, which bundles tfjs with the pure-JS CPU backend, so it runs
// offline in plain node; @tensorflow/tfjs-node would try to download a native binary).
//
// Usage (once; the JSON is committed):
//   (cd face-engine/models && npm ci --ignore-scripts)
//   node face-engine/tools/gen-reference.mjs
//
// Inputs: a synthetic deterministic pattern (defined identically in the Rust test) and
// two real face chips stored as raw RGB bytes beside the JSON (landmark_chip_112.rgb,
// descriptor_chip_150.rgb; cut from cli/assets/faces/obama.jpg by
// `cargo run -p necid-face-engine --example dump-chips`).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, '..', 'models', 'node_modules', '@vladmandic', 'face-api');
const refDir = path.join(here, '..', 'tests', 'reference');

// The ESM bundle's own "node" platform shim needs node's `util`, which the bundle
// stubs out, so importing it under node throws. Hide `process` while the module
// evaluates (tfjs then registers no platform), then register a minimal platform
// built on node's standard globals. The networks themselves run unchanged on the
// bundle's pure-JS CPU backend.
const realProcess = globalThis.process;
globalThis.process = undefined;
let faceapi;
try {
  faceapi = await import(path.join(pkg, 'dist', 'face-api.esm.js'));
} finally {
  globalThis.process = realProcess;
}
faceapi.tf.env().setPlatform('node-std', {
  fetch: (...args) => fetch(...args),
  now: () => performance.now(),
  encode: (s) => new TextEncoder().encode(s),
  decode: (b, enc) => new TextDecoder(enc).decode(b),
  isTypedArray: (a) => ArrayBuffer.isView(a) && !(a instanceof DataView),
});
const { tf } = faceapi;
await tf.setBackend('cpu');
await tf.ready();

function loadWeights(name) {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'model', `${name}-weights_manifest.json`), 'utf8'));
  const specs = manifest.flatMap((g) => g.weights);
  const bins = manifest.flatMap((g) => g.paths).map((p) => fs.readFileSync(path.join(pkg, 'model', p)));
  const buf = Buffer.concat(bins);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return tf.io.decodeWeights(ab, specs);
}

// Same formula as `synthetic()` in tests/reference.rs: integer arithmetic only.
function synthetic(size) {
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        out[(y * size + x) * 3 + c] = (x * 7 + y * 13 + c * 71 + ((x * y) % 31) * 5) % 256;
      }
    }
  }
  return out;
}

function readChip(file, size) {
  const bytes = fs.readFileSync(path.join(refDir, file));
  if (bytes.length !== size * size * 3) throw new Error(`${file}: expected ${size * size * 3} bytes`);
  return Float32Array.from(bytes);
}

const landmarkNet = new faceapi.FaceLandmark68Net();
landmarkNet.loadFromWeightMap(loadWeights('face_landmark_68_model'));
const recognitionNet = new faceapi.FaceRecognitionNet();
recognitionNet.loadFromWeightMap(loadWeights('face_recognition_model'));

function runLandmarks(data) {
  const input = new faceapi.NetInput([tf.tensor3d(data, [112, 112, 3])]);
  const out = landmarkNet.runNet(input); // raw fc output, 136 numbers in 0..1
  return Array.from(out.dataSync());
}

function runDescriptor(data) {
  const input = new faceapi.NetInput([tf.tensor3d(data, [150, 150, 3])]);
  const out = recognitionNet.forwardInput(input);
  return Array.from(out.dataSync());
}

const result = {
  generator: 'face-engine/tools/gen-reference.mjs',
  package: '@vladmandic/face-api 1.7.15 (dist/face-api.esm.js)',
  tfjs: tf.version_core,
  backend: tf.getBackend(),
  landmarks: {
    synthetic: runLandmarks(synthetic(112)),
    face: runLandmarks(readChip('landmark_chip_112.rgb', 112)),
  },
  descriptor: {
    synthetic: runDescriptor(synthetic(150)),
    face: runDescriptor(readChip('descriptor_chip_150.rgb', 150)),
  },
};
fs.writeFileSync(path.join(refDir, 'tfjs-outputs.json'), `${JSON.stringify(result, null, 1)}\n`);
console.log(`wrote ${path.join(refDir, 'tfjs-outputs.json')} (tfjs ${result.tfjs}, backend ${result.backend})`);
