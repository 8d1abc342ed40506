// The detector's maths in JavaScript, line for line the Python of mlbasics:
//   letterbox()      geometry/letterbox.py   (scale, round half to even, pad with grey 128)
//   resizeBicubic()  Pillow's Image.resize(..., BICUBIC), which letterbox.py calls: the same
//                    integer arithmetic, so the network sees the pixels Python gives it
//   decodeOutput()   vision/yolo/decode.py   (sigmoid centre + cell, exp(min(t, 10)) * anchor)
//   detect()         vision/yolo/decode.py   (score = objectness x class, per-class NMS, best first)
//   nonMaxSuppression() geometry/boxes.py
// Boxes are [x_min, y_min, x_max, y_max] in pixels. Pure functions: no DOM, no runtime.

/** Python's round(): halves go to the even neighbour (round(2.5) == 2). */
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Where a width x height frame goes in the size x size square: {scale, newW, newH, padX, padY}. */
export function letterbox(width, height, size) {
  const scale = Math.min(size / width, size / height);
  const newW = Math.max(1, roundHalfEven(width * scale));
  const newH = Math.max(1, roundHalfEven(height * scale));
  return { scale, newW, newH, padX: Math.floor((size - newW) / 2), padY: Math.floor((size - newH) / 2) };
}

/** Pillow's bicubic kernel (a = -0.5). */
function bicubic(x) {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc: for each output pixel, its first input pixel and
 * integer weights (fixed point, PRECISION_BITS fraction bits). */
function coefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const taps = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const weights = [];
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) / filterScale);
      weights.push(w);
      total += w;
    }
    const fixed = weights.map((w) => {
      const v = total !== 0 ? w / total : w;
      return v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    });
    taps.push({ xmin, fixed });
  }
  return taps;
}

const clip8 = (ss) => Math.min(Math.max(Math.floor(ss / ONE), 0), 255);

/**
 * RGBA bytes of a width x height image -> RGBA bytes of outW x outH, exactly as Pillow's
 * Image.resize((outW, outH), BICUBIC) on an RGB image: a horizontal pass, then a vertical one,
 * each rounded to 8 bits.
 */
export function resizeBicubic(rgba, width, height, outW, outH) {
  let src = rgba;
  let w = width;
  if (outW !== width) {
    const taps = coefficients(width, outW);
    const out = new Uint8ClampedArray(outW * height * 4);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < outW; xx++) {
        const { xmin, fixed } = taps[xx];
        for (let c = 0; c < 3; c++) {
          let ss = ONE / 2;
          for (let k = 0; k < fixed.length; k++) ss += src[(y * width + xmin + k) * 4 + c] * fixed[k];
          out[(y * outW + xx) * 4 + c] = clip8(ss);
        }
        out[(y * outW + xx) * 4 + 3] = 255;
      }
    }
    src = out;
    w = outW;
  }
  if (outH === height) return src;
  const taps = coefficients(height, outH);
  const out = new Uint8ClampedArray(w * outH * 4);
  for (let yy = 0; yy < outH; yy++) {
    const { xmin: ymin, fixed } = taps[yy];
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let ss = ONE / 2;
        for (let k = 0; k < fixed.length; k++) ss += src[((ymin + k) * w + x) * 4 + c] * fixed[k];
        out[(yy * w + x) * 4 + c] = clip8(ss);
      }
      out[(yy * w + x) * 4 + 3] = 255;
    }
  }
  return out;
}

/**
 * A frame's RGBA bytes -> the network's input: Float32Array (size * size * 3), RGB / 255, the frame
 * resized into its letterbox place on grey `fill` (geometry/letterbox.py's letterbox()).
 */
export function letterboxInput(rgba, width, height, size, fill, placement = letterbox(width, height, size)) {
  const { newW, newH, padX, padY } = placement;
  const resized = newW === width && newH === height ? rgba : resizeBicubic(rgba, width, height, newW, newH);
  const input = new Float32Array(size * size * 3).fill(fill / 255);
  for (let y = 0; y < newH; y++) {
    for (let x = 0; x < newW; x++) {
      const i = (y * newW + x) * 4;
      const j = ((y + padY) * size + x + padX) * 3;
      input[j] = resized[i] / 255;
      input[j + 1] = resized[i + 1] / 255;
      input[j + 2] = resized[i + 2] / 255;
    }
  }
  return input;
}

/** A box in the square -> the same box in the original frame, clipped to it. */
export function toOriginal(box, placement, width, height) {
  const { scale, padX, padY } = placement;
  const clip = (v, hi) => Math.min(Math.max(v, 0), hi);
  return [clip((box[0] - padX) / scale, width), clip((box[1] - padY) / scale, height),
          clip((box[2] - padX) / scale, width), clip((box[3] - padY) / scale, height)];
}

const sigmoid = (z) => 0.5 * (1 + Math.tanh(0.5 * z));

/**
 * One scale's raw grid (Float32Array, NHWC (1, g, g, anchors * (5 + C)), one image) ->
 * {boxes: [[x0, y0, x1, y1]], scores: [[C scores]]} in input pixels.
 */
export function decodeOutput(data, settings, scale) {
  const grid = settings.grids[scale];
  const mask = settings.masks[scale];
  const numClasses = settings.classes.length;
  const stride = 5 + numClasses;
  const boxes = [];
  const scores = [];
  for (let row = 0; row < grid; row++) {
    for (let col = 0; col < grid; col++) {
      for (let a = 0; a < mask.length; a++) {
        const o = ((row * grid + col) * mask.length + a) * stride;
        const [anchorW, anchorH] = settings.anchors[mask[a]];
        const cx = (sigmoid(data[o]) + col) / grid * settings.input_size;
        const cy = (sigmoid(data[o + 1]) + row) / grid * settings.input_size;
        const w = Math.exp(Math.min(data[o + 2], 10)) * anchorW;
        const h = Math.exp(Math.min(data[o + 3], 10)) * anchorH;
        boxes.push([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
        const objectness = sigmoid(data[o + 4]);
        const classScores = new Array(numClasses);
        for (let c = 0; c < numClasses; c++) classScores[c] = objectness * sigmoid(data[o + 5 + c]);
        scores.push(classScores);
      }
    }
  }
  return { boxes, scores };
}

/** IoU of two corner boxes. */
export function iou(a, b) {
  const w = Math.max(Math.min(a[2], b[2]) - Math.max(a[0], b[0]), 0);
  const h = Math.max(Math.min(a[3], b[3]) - Math.max(a[1], b[1]), 0);
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return inter / Math.max(union, 1e-12);
}

/** Indices of the boxes kept, best score first; ties keep their order (a stable sort, as NumPy's). */
export function nonMaxSuppression(boxes, scores, iouThreshold) {
  let order = scores.map((_, i) => i).sort((i, j) => scores[j] - scores[i] || i - j);
  const keep = [];
  while (order.length) {
    const best = order[0];
    keep.push(best);
    order = order.slice(1).filter((i) => iou(boxes[best], boxes[i]) <= iouThreshold);
  }
  return keep;
}

/**
 * Raw grids of one image, one per scale, coarsest first -> [{box, score, cls}] in input pixels,
 * best score first, at most settings.max_detections.
 */
export function detect(grids, settings) {
  const decoded = grids.map((data, scale) => decodeOutput(data, settings, scale));
  const boxes = decoded.flatMap((d) => d.boxes);
  const scores = decoded.flatMap((d) => d.scores);
  const found = [];
  for (let cls = 0; cls < settings.classes.length; cls++) {
    const candidates = [];
    for (let i = 0; i < scores.length; i++) if (scores[i][cls] >= settings.score_threshold) candidates.push(i);
    if (!candidates.length) continue;
    const keep = nonMaxSuppression(candidates.map((i) => boxes[i]), candidates.map((i) => scores[i][cls]),
                                   settings.nms_iou);
    for (const k of keep) found.push({ box: boxes[candidates[k]], score: scores[candidates[k]][cls], cls });
  }
  // Stable: equal scores keep class order, as Python's argsort(kind="stable").
  return found.map((d, i) => [d, i]).sort((a, b) => b[0].score - a[0].score || a[1] - b[1])
    .map(([d]) => d).slice(0, settings.max_detections);
}
