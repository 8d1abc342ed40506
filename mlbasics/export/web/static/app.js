// The camera page: open the camera, and for each new camera frame letterbox it, run the detector
// with ONNX Runtime Web (from ./runtime/, never a CDN), decode, and draw labelled boxes.
//
// The detector runs once per new camera frame (requestVideoFrameCallback): frames that arrive while
// it works are skipped, never run twice. The page shows the camera's frame rate, the rate of frames
// it processed and the inference milliseconds as separate figures. Tap the picture to pause or
// resume; the slider sets the score threshold (kept in this browser).
//
// URL options (all optional): ?threads=N  WebAssembly threads (default: see defaultThreads; more
// than 1 needs the cross-origin isolation `mlbasics serve` sets up); ?score=0.3  score threshold;
// ?tag=1  read the frame number that test videos carry in their bottom-left corner; ?keep=1  keep the
// last network input in window.lastInput (RGB / 255, NHWC), to compare pixels with Python's letterbox;
// ?frames=N  stop after N frames; ?proxy=0  run inference on the page's thread, not in a worker;
// ?sw=0  no service worker; ?backend=wasm|webgpu  the backend (default: WebGPU where the browser
// gives a GPU adapter, else WebAssembly).
// For tests and benchmarks the page exposes window.detections (the latest frames' boxes) and
// window.stats (frames processed, camera frames, both rates per second over the last second, inference
// and letterbox milliseconds, backend, threads).
import { detect, letterbox, letterboxInput, toOriginal } from "./yolo.js";

const params = new URLSearchParams(location.search);
const COLOURS = ["#e6194b", "#3cb44b", "#0082c8", "#f58230", "#911eb4", "#46f0f0"];
const KEEP_FRAMES = 300;
const TAG_BITS = 12;
const TAG_BLOCK = 8;
/** Box labels are drawn this many CSS pixels high, whatever the camera's size and the screen's. */
const LABEL_CSS_PX = 16;
/** ONNX Runtime Web's builds: WebAssembly (CPU) only, and WebGPU (with the CPU one for what the GPU lacks). */
const RUNTIMES = { wasm: "runtime/ort.wasm.min.js", webgpu: "runtime/ort.webgpu.min.js" };

const video = document.getElementById("video");
const overlay = document.getElementById("overlay");
const status = document.getElementById("status");
const slider = document.getElementById("threshold");
const sliderValue = document.getElementById("threshold-value");
const figures = { fps: document.getElementById("fps"), camera: document.getElementById("camera"),
                  infer: document.getElementById("infer"),
                  paused: document.getElementById("paused") };
window.detections = [];
window.stats = { frames: 0, cameraFrames: 0, fps: 0, cameraFps: 0, inferMs: [], letterboxMs: [], error: null, ready: false,
                 paused: false, backend: null, gpuAdapter: null, threads: null, labelCssPx: null };

function fail(message) {
  window.stats.error = message;
  status.textContent = message;
  status.className = "error";
}

/**
 * WebAssembly threads: half the cores (rounded up), at most 4, chosen by measurement
 * (`python -m benchmarks web`, docs/cloud.md): on the 2-core test machine, busy with another job,
 * one thread ran the COCO-sized model in 264 ms a frame and two threads in 318 ms (onnxruntime in
 * Python: 88 and 104 ms). ONNX Runtime Web's own default is the same; it is set here so the page
 * can say what it runs. ?threads=N overrides it.
 */
function defaultThreads() {
  if (!self.crossOriginIsolated) return 1;  // threads need SharedArrayBuffer, which needs isolation
  return Math.max(1, Math.min(4, Math.ceil((navigator.hardwareConcurrency || 1) / 2)));
}

/**
 * The best backend the browser has: WebGPU where it gives a hardware GPU adapter, else WebAssembly.
 * A software adapter (a GPU emulated on the CPU, such as SwiftShader) is slower than WebAssembly and
 * is used only when asked for: ?backend=webgpu (or ?backend=wasm: never WebGPU).
 */
async function pickBackend() {
  const wanted = params.get("backend");
  if (wanted === "wasm" || !navigator.gpu) return "wasm";
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return "wasm";
    const software = Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter);
    window.stats.gpuAdapter = software ? "software" : "hardware";
    return software && wanted !== "webgpu" ? "wasm" : "webgpu";
  } catch {
    return "wasm";
  }
}

/** An inference session on `backend`; WebGPU falls back to WebAssembly when it cannot run the model. */
async function createSession(backend) {
  if (backend === "webgpu") {
    try {
      return [await ort.InferenceSession.create("model.onnx", { executionProviders: ["webgpu", "wasm"] }), "WebGPU"];
    } catch (error) {
      console.warn(`WebGPU cannot run this model (${error.message}): WebAssembly instead`);
      return [await ort.InferenceSession.create("model.onnx", { executionProviders: ["wasm"] }),
              "WebAssembly SIMD (WebGPU failed)"];
    }
  }
  const session = await ort.InferenceSession.create("model.onnx", { executionProviders: ["wasm"] });
  return [session, ort.env.wasm.proxy ? "WebAssembly SIMD in a worker" : "WebAssembly SIMD"];
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} did not load: export again with \`mlbasics export ... --formats web\``));
    document.head.append(script);
  });
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

/** CSS pixels per frame pixel: the canvas shows the frame whole (object-fit: contain). */
function displayScale(width, height) {
  const rect = overlay.getBoundingClientRect();
  return Math.min(rect.width / width, rect.height / height) || 1;
}

/** The processed frame itself, then its boxes: boxes never lag behind the picture. */
function draw(frameCanvas, found, width, height, classes) {
  if (overlay.width !== width || overlay.height !== height) {
    overlay.width = width;
    overlay.height = height;
  }
  const scale = displayScale(width, height);
  const fontPx = Math.ceil(LABEL_CSS_PX / scale);
  window.stats.labelCssPx = fontPx * scale;
  const g = overlay.getContext("2d");
  g.drawImage(frameCanvas, 0, 0);
  g.lineWidth = Math.max(2, 3 / scale);
  g.font = `${fontPx}px system-ui, sans-serif`;
  const textHeight = Math.ceil(fontPx * 1.3);
  for (const d of found) {
    const [x0, y0, x1, y1] = d.box;
    const colour = COLOURS[d.cls % COLOURS.length];
    const label = `${classes[d.cls]} ${d.score.toFixed(2)}`;
    g.strokeStyle = colour;
    g.strokeRect(x0, y0, x1 - x0, y1 - y0);
    const textY = y0 >= textHeight ? y0 - textHeight : y1;
    g.fillStyle = colour;
    g.fillRect(x0, textY, g.measureText(label).width + fontPx / 2, textHeight);
    g.fillStyle = "#fff";
    g.fillText(label, x0 + fontPx / 4, textY + fontPx * 1.05);
  }
}

/**
 * Camera frames as they arrive: counts them (window.stats.cameraFrames, cameraFps) and lets the
 * detector wait for the next one it has not seen (nextFrame), so it never runs twice on a frame.
 * requestVideoFrameCallback where the browser has it; else one check per screen refresh of the
 * decoder's frame counter.
 */
function frameClock() {
  const times = [];
  let start = null;
  let latest = 0;
  let latestTime = 0;
  let waiting = null;
  const arrived = (now, presented) => {
    if (start === null) start = presented - 1;
    if (presented === latest) return;
    // The counter counts every frame shown, also those shown while inference held the page's thread
    // and no callback could run: each arrival carries how many frames it stands for.
    times.push({ time: now, frames: presented - Math.max(latest, start) });
    latest = presented;
    latestTime = now;
    window.stats.cameraFrames = presented - start;
    while (times[0].time < now - 2000) times.shift();  // rate() reads the last second; paused, nobody does
    if (waiting) {
      waiting();
      waiting = null;
    }
  };
  if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    const tick = (now, meta) => {
      arrived(now, meta.presentedFrames);
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  } else {
    const poll = (now) => {
      const quality = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
      arrived(now, quality ? quality.totalVideoFrames : Math.round(video.currentTime * 1000));
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }
  let seen = 0;
  return {
    /** Resolves with {number, time} of a frame newer than the last one taken, once it is shown. */
    async nextFrame() {
      while (latest === seen || latest === 0) await new Promise((resolve) => { waiting = resolve; });
      seen = latest;
      return { number: seen - start, time: latestTime };
    },
    /** The camera frames' arrival times over the last seconds (for rate()). */
    times,
  };
}

/**
 * Frames per second over the second before `now`: `events` are camera frame arrivals ({time, frames}),
 * for the processed frames too (each counts 1 at the arrival of the frame it processed, which stands
 * for at least one camera frame), so the processed rate is never above the camera's.
 */
function rate(events, now, since) {
  while (events.length && events[0].time <= now - 1000) events.shift();
  const frames = events.reduce((sum, e) => sum + e.frames, 0);
  return frames * 1000 / Math.max(Math.min(1000, now - since), 1);
}

/** Tap (or click) the picture to pause or resume; resolves at once when running. */
function pauser() {
  let resume = null;
  const show = () => {
    figures.paused.textContent = window.stats.paused ? "paused: tap to resume" : "";
  };
  overlay.addEventListener("click", () => {
    window.stats.paused = !window.stats.paused;
    show();
    if (!window.stats.paused && resume) {
      resume();
      resume = null;
    }
  });
  return () => (window.stats.paused ? new Promise((resolve) => { resume = resolve; }) : Promise.resolve());
}

function thresholdControl(settings) {
  // ?score=, else the slider's last value in this browser, else the export's; a value outside (0, 1) is ignored.
  const fraction = (text) => (text !== null && Number(text) > 0 && Number(text) < 1 ? Number(text) : null);
  settings.score_threshold = fraction(params.get("score")) ?? fraction(localStorage.getItem("mlbasics.score_threshold"))
    ?? settings.score_threshold;
  const show = () => {
    slider.value = String(settings.score_threshold);
    sliderValue.textContent = settings.score_threshold.toFixed(2);
  };
  slider.addEventListener("input", () => {
    settings.score_threshold = Number(slider.value);
    localStorage.setItem("mlbasics.score_threshold", slider.value);
    show();
  });
  show();
}

const MODEL_NAMES = { tiny: "tiny-YOLOv3", full: "YOLOv3" };

function describe(settings, backend, threads) {
  const names = settings.classes.length <= 6 ? `: ${settings.classes.join(", ")}` : "";
  const plural = settings.classes.length === 1 ? "class" : "classes";
  return `${MODEL_NAMES[settings.model] ?? settings.model} · ${settings.classes.length} ${plural}${names} · ${backend} · ` +
         `${threads} thread${threads === 1 ? "" : "s"} · input ${settings.input_size}×${settings.input_size}`;
}

async function registerOffline() {
  // The service worker keeps the page, the runtime and the model for the next visit without the server.
  if (!("serviceWorker" in navigator) || params.get("sw") === "0") return;
  try {
    await navigator.serviceWorker.register("sw.js");
  } catch (error) {
    console.warn(`offline copy unavailable: ${error.message}`);
  }
}

async function main() {
  if (!window.isSecureContext) {
    fail("The camera needs a secure context: open this page over https:// (mlbasics serve --phone) or on localhost.");
    return;
  }
  registerOffline();
  const backend = await pickBackend();
  await loadScript(RUNTIMES[backend]);
  const settings = await (await fetch("detector.json")).json();
  thresholdControl(settings);
  const asked = Number.parseInt(params.get("threads") ?? "", 10);  // ?threads=N, a whole number from 1 to 64
  const threads = asked >= 1 && asked <= 64 ? asked : defaultThreads();
  ort.env.wasm.wasmPaths = new URL("runtime/", location.href).href;
  ort.env.wasm.numThreads = self.crossOriginIsolated ? threads : 1;
  // In a worker, so that inference never holds the page's thread: taps, the slider and the camera's
  // frame callbacks go on while the model runs (?proxy=0: on the page's thread).
  // (WebGPU runs on the page's thread: it does not block it, and the runtime's worker cannot use the GPU.)
  ort.env.wasm.proxy = backend === "wasm" && params.get("proxy") !== "0";
  status.textContent = "loading the model...";
  const [session, backendName] = await createSession(backend);
  window.stats.backend = backendName;
  window.stats.threads = ort.env.wasm.numThreads;

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
  const processedTimes = [];
  const clock = frameClock();
  const since = performance.now();
  const whileRunning = pauser();
  window.stats.ready = true;
  status.textContent = describe(settings, window.stats.backend, window.stats.threads);

  const maxFrames = Number(params.get("frames") ?? Infinity);
  while (window.stats.frames < maxFrames) {
    await whileRunning();
    const { number: cameraFrame, time: arrivedAt } = await clock.nextFrame();
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) continue;
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
    const prepStarted = performance.now();
    const placement = letterbox(width, height, size);
    const input = letterboxInput(rgba, width, height, size, settings.fill, placement);
    const letterboxMs = performance.now() - prepStarted;
    if (params.get("keep")) window.lastInput = { tag, input: Array.from(input) };  // what the model saw (tests)
    const started = performance.now();
    const outputs = await session.run({ [settings.input_name]: new ort.Tensor("float32", input, [1, size, size, 3]) });
    const inferMs = performance.now() - started;
    const grids = settings.output_names.map((name) => outputs[name].data);
    const found = detect(grids, settings).map((d) => ({ ...d, box: toOriginal(d.box, placement, width, height) }));

    const now = performance.now();
    processedTimes.push({ time: arrivedAt, frames: 1 });
    const stats = window.stats;
    stats.frames += 1;
    stats.fps = rate(processedTimes, now, since);
    stats.cameraFps = rate(clock.times, now, since);
    stats.inferMs.push(inferMs);
    if (stats.inferMs.length > KEEP_FRAMES) stats.inferMs.shift();
    stats.letterboxMs.push(letterboxMs);
    if (stats.letterboxMs.length > KEEP_FRAMES) stats.letterboxMs.shift();
    window.detections.push({ frame: stats.frames, cameraFrame, tag, width, height, boxes: found.map((d) => d.box),
                             scores: found.map((d) => d.score), classes: found.map((d) => d.cls) });
    if (window.detections.length > KEEP_FRAMES) window.detections.shift();
    draw(frameCanvas, found, width, height, settings.classes);
    figures.fps.textContent = `processed ${stats.fps.toFixed(1)} fps`;
    figures.camera.textContent = `camera ${stats.cameraFps.toFixed(1)} fps`;
    figures.infer.textContent = `inference ${inferMs.toFixed(0)} ms`;
  }
  status.textContent = `stopped after ${window.stats.frames} frames`;
}

main().catch((error) => fail(`${error.name}: ${error.message}`));
