// The page's service worker: after one visit the page, its runtime and its model load without the
// server (offline, or the computer switched off), and the page can be added to the home screen.
//
// Network first: while the server runs, every file comes from it (a new export shows at once) and
// the copy in the cache is refreshed; when it cannot be reached, the cached copy is used.
const CACHE = "mlbasics-detector-v1";
const PAGE = ["./", "index.html", "app.js", "yolo.js", "detector.json", "model.onnx", "manifest.webmanifest",
              "icon-192.png", "icon-512.png", "runtime/ort.wasm.min.js", "runtime/ort-wasm-simd-threaded.mjs",
              "runtime/ort-wasm-simd-threaded.wasm"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PAGE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = new URL(request.url);
    key.search = "";  // ?threads=2&tag=1 is the same page
    try {
      const response = await fetch(request);
      if (response.ok) await cache.put(key, response.clone());
      return response;
    } catch (error) {
      const cached = await cache.match(key);
      if (cached) return cached;
      throw error;
    }
  })());
});
