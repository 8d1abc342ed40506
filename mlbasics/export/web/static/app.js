// The camera page: open the camera, letterbox each frame, run the detector with ONNX Runtime Web
// (WebAssembly, from ./runtime/, never a CDN), decode, draw labelled boxes and the frame rate.
//
// URL options (all optional): ?threads=N  WebAssembly threads (more than 1 needs the
// cross-origin isolation `mlbasics serve` sets up); ?score=0.3  score threshold;
// ?tag=1  read the frame number that test videos carry in their bottom-left corner; ?keep=1  keep the
// last network input in window.lastInput (RGB / 255, NHWC), to compare pixels with Python's letterbox;
// ?frames=N  stop after N frames.
// For tests and benchmarks the page exposes window.detections (the latest frames' boxes) and
// window.stats (frames, fps, inference milliseconds).
import { detect, letterbox, letterboxInput, toOriginal } from "./yolo.js";

const params = new URLSearchParams(location.search);
const COLOURS = ["#e6194b", "#3cb44b", "#0082c8", "#f58230", "#911eb4", "#46f0f0"];
const KEEP_FRAMES = 300;
const TAG_BITS = 12;
const TAG_BLOCK = 8;

const video = document.getElementById("video");
const overlay = document.getElementById("overlay");
const status = document.getElementById("status");
window.detections = [];
window.stats = { frames: 0, fps: 0, inferMs: [], error: null, ready: false };

function fail(message) {
  window.stats.error = message;
  status.textContent = message;
  status.className = "error";
}

/** The frame number a test video draws as TAG_BITS black/white blocks along its bottom-left edge. */
function readTag(rgba, width, height) {
  let tag = 0;
  for (let bit = 0; bit < TAG_BITS; bit++) {
    const o = ((height - TAG_BLOCK / 2) * width + bit * TAG_BLOCK + TAG_BLOCK / 2) * 4;
    if (rgba[o] + rgba[o + 1] + rgba[o + 2] > 3 * 128) tag |= 1 << bit;
  }
  return tag;
}

/** The processed frame itself, then its boxes and the frame rate: boxes never lag behind the picture. */
function draw(frameCanvas, found, width, height, classes) {
  if (overlay.width !== width || overlay.height !== height) {
    overlay.width = width;
    overlay.height = height;
  }
  const g = overlay.getContext("2d");
  g.drawImage(frameCanvas, 0, 0);
  g.lineWidth = Math.max(2, width / 320);
  g.font = `${Math.max(12, Math.round(width / 40))}px sans-serif`;
  for (const d of found) {
    const [x0, y0, x1, y1] = d.box;
    const colour = COLOURS[d.cls % COLOURS.length];
    const label = `${classes[d.cls]} ${d.score.toFixed(2)}`;
    g.strokeStyle = colour;
    g.strokeRect(x0, y0, x1 - x0, y1 - y0);
    const textHeight = parseInt(g.font, 10) + 4;
    const textY = y0 >= textHeight ? y0 - textHeight : y1;
    g.fillStyle = colour;
    g.fillRect(x0, textY, g.measureText(label).width + 6, textHeight);
    g.fillStyle = "#fff";
    g.fillText(label, x0 + 3, textY + textHeight - 5);
  }
  const fpsText = `${window.stats.fps.toFixed(1)} fps`;
  const boxWidth = g.measureText(fpsText).width + 8;
  const boxHeight = parseInt(g.font, 10) + 6;
  g.fillStyle = "rgba(0, 0, 0, 0.6)";
  g.fillRect(width - boxWidth, 0, boxWidth, boxHeight);
  g.fillStyle = "#fff";
  g.fillText(fpsText, width - boxWidth + 4, boxHeight - 5);
}

async function main() {
  if (!window.isSecureContext) {
    fail("The camera needs a secure context: open this page over https:// (mlbasics serve --phone) or on localhost.");
    return;
  }
  if (typeof ort === "undefined") {
    fail("runtime/ort.wasm.min.js did not load: export again with `mlbasics export ... --formats web`.");
    return;
  }
  const settings = await (await fetch("detector.json")).json();
  settings.score_threshold = Number(params.get("score") ?? settings.score_threshold);
  ort.env.wasm.wasmPaths = new URL("runtime/", location.href).href;
  ort.env.wasm.numThreads = Number(params.get("threads") ?? (self.crossOriginIsolated ? 0 : 1));
  status.textContent = "loading the model...";
  const session = await ort.InferenceSession.create("model.onnx", { executionProviders: ["wasm"] });

  status.textContent = "opening the camera...";
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    // The rear camera where there is one; the camera's own size (no browser rescaling).
    video: { facingMode: { ideal: "environment" }, resizeMode: "none" },
  });
  video.srcObject = stream;
  await video.play();

  const size = settings.input_size;
  const frameCanvas = new OffscreenCanvas(1, 1);
  const frameContext = frameCanvas.getContext("2d", { willReadFrequently: true });
  const frameTimes = [];
  window.stats.ready = true;
  status.textContent = "";

  const maxFrames = Number(params.get("frames") ?? Infinity);
  while (window.stats.frames < maxFrames) {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      continue;
    }
    // One snapshot of the current frame (the video may move on between two reads), as RGBA bytes.
    const frame = await createImageBitmap(video);
    if (frameCanvas.width !== width || frameCanvas.height !== height) {
      frameCanvas.width = width;
      frameCanvas.height = height;
    }
    frameContext.drawImage(frame, 0, 0);
    frame.close();
    const rgba = frameContext.getImageData(0, 0, width, height).data;
    const tag = params.get("tag") ? readTag(rgba, width, height) : null;
    // Letterbox with Pillow's bicubic resize, as geometry/letterbox.py does; RGB / 255 as in training.
    const placement = letterbox(width, height, size);
    const input = letterboxInput(rgba, width, height, size, settings.fill, placement);
    if (params.get("keep")) window.lastInput = { tag, input: Array.from(input) };  // what the model saw (tests)
    const started = performance.now();
    const outputs = await session.run({ [settings.input_name]: new ort.Tensor("float32", input, [1, size, size, 3]) });
    const inferMs = performance.now() - started;
    const grids = settings.output_names.map((name) => outputs[name].data);
    const found = detect(grids, settings).map((d) => ({ ...d, box: toOriginal(d.box, placement, width, height) }));

    const now = performance.now();
    frameTimes.push(now);
    while (frameTimes.length && frameTimes[0] < now - 1000) frameTimes.shift();
    const stats = window.stats;
    stats.frames += 1;
    stats.fps = frameTimes.length > 1 ? (frameTimes.length - 1) * 1000 / (now - frameTimes[0]) : 0;
    stats.inferMs.push(inferMs);
    if (stats.inferMs.length > KEEP_FRAMES) stats.inferMs.shift();
    window.detections.push({ frame: stats.frames, tag, width, height, boxes: found.map((d) => d.box),
                             scores: found.map((d) => d.score), classes: found.map((d) => d.cls) });
    if (window.detections.length > KEEP_FRAMES) window.detections.shift();
    draw(frameCanvas, found, width, height, settings.classes);
    await new Promise((resolve) => setTimeout(resolve, 0));  // let the page breathe between frames
  }
  status.textContent = `stopped after ${window.stats.frames} frames`;
}

main().catch((error) => fail(`${error.name}: ${error.message}`));
