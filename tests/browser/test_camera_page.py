"""The detector on a (fake) camera in headless Chromium: the boxes the page draws are Python's.

A seeded untrained tiny-YOLO (the property does not need training) is exported with
``--formats web``'s code, served on 127.0.0.1, and opened with a ``.y4m`` of synthetic scenes as
the camera; every frame carries its number, so each of the page's detections is compared with
Python's decode of the same frame read back from the video.
"""

import numpy as np
import pytest

from mlbasics.core.errors import MlbasicsError
from mlbasics.export.web.check import agreement, chromium, run_page
from tests.detectors import stand_in_detector

SIZE = 96


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    if chromium() is None:
        pytest.skip("Chromium not found: install Debian's 'chromium' package (.ci/run does) or set MLBASICS_CHROMIUM")
    import json

    from mlbasics.export.web import to_web
    from mlbasics.export.web.npm import install_runtime
    from mlbasics.export.web.y4m import read_y4m, scene_video
    from mlbasics.geometry.letterbox import letterbox
    from mlbasics.vision.yolo.spec import YoloSpec

    try:
        install_runtime()
    except MlbasicsError as exc:
        pytest.skip(f"ONNX Runtime Web cannot be installed from npm here: {exc}")
    tmp = tmp_path_factory.mktemp("camera")
    anchors = np.array([[9, 12], [15, 15], [21, 27], [30, 24], [39, 45], [60, 66]], dtype=np.float32)
    spec = YoloSpec(anchors, ("circle", "square", "triangle", "cross"), input_size=SIZE, width=0.125)
    video, _ = scene_video(tmp / "scenes.y4m", 40, 320, 240, fps=30)  # 4:3 frames: resized and padded
    frames = read_y4m(video)
    model = stand_in_detector(spec, np.stack([letterbox(f, SIZE)[0] for f in frames[:8]]).astype(np.float32) / 255)
    folder = to_web(model, spec, tmp / "det-web")
    return folder, video, frames, spec, json.loads((folder / "detector.json").read_text())


def test_page_boxes_agree_with_python(page, capsys):
    from mlbasics.export.web.server import serving

    folder, video, frames, spec, settings = page
    with serving(folder, port=0) as server:
        assert server.httpd.server_address[0] == "127.0.0.1"
        run = run_page(server.url, video, frames=60)
    share, boxes = agreement(run.detections, frames, folder / "model.onnx", spec, settings)
    tags = {r["tag"] for r in run.detections}
    camera_frames = [r["cameraFrame"] for r in run.detections]
    with capsys.disabled():  # shown in every run's log, not only when the test fails
        print(f"\ncamera page: {len(run.detections)} frames ({len(tags)} distinct), {boxes} boxes, "
              f"{share:.1%} with a partner at IoU >= 0.9; {run.frames} frames processed of {run.camera_frames} "
              f"from the camera, {run.fps:.1f} of {run.camera_fps:.1f} fps, inference "
              f"{np.median(run.infer_ms):.1f} ms/frame (median, {run.backend}, {run.threads} thread)")
    assert len(tags) >= 5 and all(0 <= t < len(frames) for t in tags)  # frame numbers read right
    assert boxes >= 50
    assert share >= 0.95
    assert run.fps > 0 and run.camera_fps > 0
    # once per new camera frame: never the same frame twice, never more frames than the camera gave
    assert camera_frames == sorted(set(camera_frames)) and run.frames <= run.camera_frames
    assert max(camera_frames) <= run.camera_frames
    assert (run.backend, run.threads) == ("WebAssembly SIMD in a worker", 1)


def test_the_page_fills_a_phone_and_pauses_on_a_tap(page, tmp_path):
    from mlbasics.export.web.check import PHONE, camera_browser
    from mlbasics.export.web.server import serving

    folder, video, _, _, _ = page
    with serving(folder, port=0) as server, camera_browser(video, **PHONE) as context:
        tab = context.new_page()
        tab.goto(server.url + "?sw=0")
        tab.wait_for_function("window.stats.frames >= 3 || window.stats.error", timeout=60_000)
        assert tab.evaluate("window.stats.error") is None
        layout = tab.evaluate("""() => {
            const r = document.getElementById("overlay").getBoundingClientRect();
            const c = document.getElementById("overlay");
            const s = Math.min(r.width / c.width, r.height / c.height);  // object-fit: contain
            const px = (id) => parseFloat(getComputedStyle(document.getElementById(id)).fontSize);
            return {shown: [c.width * s, c.height * s], inner: [innerWidth, innerHeight],
                    scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
                    fonts: ["fps", "camera", "infer", "status", "controls"].map(px), label: window.stats.labelCssPx,
                    status: document.getElementById("status").textContent};
        }""")
        assert layout["inner"] == [390, 844]
        assert layout["shown"][0] >= 0.9 * 390  # the picture spans the width
        assert layout["scroll"][0] <= 390 and layout["scroll"][1] <= 844  # nothing to scroll
        assert min(layout["fonts"]) >= 14 and layout["label"] >= 14
        threads = tab.evaluate("Math.min(4, Math.ceil(navigator.hardwareConcurrency / 2))")  # half the cores
        assert tab.evaluate("window.stats.threads") == threads
        assert layout["status"] == (f"tiny-YOLOv3 · 4 classes: circle, square, triangle, cross · WebAssembly SIMD in "
                                    f"a worker · {threads} thread{'s' if threads > 1 else ''} · input {SIZE}×{SIZE}")
        assert tab.text_content("#fps").startswith("processed ") and tab.text_content("#camera").startswith("camera ")
        assert tab.text_content("#infer").startswith("inference ")
        assert tab.evaluate("window.stats.fps <= window.stats.cameraFps")
        tab.screenshot(path=str(tmp_path / "phone.png"))

        tab.tap("#overlay")  # pause: no frame is processed until the next tap
        tab.wait_for_function("window.stats.paused")
        tab.wait_for_timeout(300)
        held = tab.evaluate("window.stats.frames")
        tab.wait_for_timeout(700)
        assert tab.evaluate("window.stats.frames") == held and "tap to resume" in tab.text_content("#paused")
        tab.tap("#overlay")
        tab.wait_for_function(f"window.stats.frames >= {held + 2}", timeout=30_000)

        tab.fill("#threshold", "0.7")  # the slider sets the score threshold
        assert tab.text_content("#threshold-value") == "0.70"
        tab.wait_for_function("window.detections.at(-1).scores.every((s) => s >= 0.7)", timeout=30_000)

        tab.set_viewport_size({"width": 844, "height": 390})  # landscape: the picture spans the height
        tab.wait_for_timeout(300)
        shown = tab.evaluate("""() => {
            const r = document.getElementById("overlay").getBoundingClientRect();
            const c = document.getElementById("overlay");
            return [Math.min(r.width / c.width, r.height / c.height) * c.height, document.documentElement.scrollWidth];
        }""")
        assert shown[0] >= 0.9 * 390 and shown[1] <= 844


def test_the_page_works_offline_after_one_visit(page):
    from mlbasics.export.web.check import camera_browser
    from mlbasics.export.web.server import serving

    folder, video, _, _, _ = page
    with camera_browser(video) as context:
        tab = context.new_page()
        with serving(folder, port=0) as server:
            tab.goto(server.url)
            tab.wait_for_function("window.stats.frames >= 2 || window.stats.error", timeout=60_000)
            tab.evaluate("navigator.serviceWorker.ready")  # installed: page, runtime and model are cached
            tab.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
            manifest = tab.evaluate("fetch('manifest.webmanifest').then((r) => r.json())")
            assert manifest["display"] == "fullscreen" and {i["sizes"] for i in manifest["icons"]} >= {"192x192"}
            # Chromium's own check behind "Install app" / "Add to Home Screen": manifest, icons, service worker
            # (Playwright's contexts are incognito ones, where nothing installs: that one reason is expected)
            installability = context.new_cdp_session(tab).send("Page.getInstallabilityErrors")
            assert [e["errorId"] for e in installability["installabilityErrors"]] in ([], ["in-incognito"])
        # the server is stopped and its port closed: the reload comes from the service worker's cache
        tab.reload()
        tab.wait_for_function("window.stats.frames >= 3 || window.stats.error", timeout=60_000)
        assert tab.evaluate("window.stats.error") is None
        assert tab.evaluate("window.detections.length") >= 3


def test_the_page_runs_on_webgpu_where_the_browser_has_an_adapter(page, capsys):
    from mlbasics.export.web.check import camera_browser
    from mlbasics.export.web.server import serving

    folder, video, frames, spec, settings = page
    # --enable-unsafe-webgpu: headless Chromium without a GPU then offers SwiftShader's (a GPU emulated on the CPU)
    with serving(folder, port=0) as server, camera_browser(video, args=("--enable-unsafe-webgpu",)) as context:
        tab = context.new_page()
        tab.goto(server.url + "?tag=1&sw=0&frames=12&backend=webgpu")  # even a software adapter
        if not tab.evaluate("navigator.gpu ? navigator.gpu.requestAdapter().then((a) => a !== null) : false"):
            pytest.skip("this Chromium offers no WebGPU adapter, even with --enable-unsafe-webgpu")
        tab.wait_for_function("window.stats.frames >= 12 || window.stats.error", timeout=120_000)
        stats = tab.evaluate("window.stats")
        records = tab.evaluate("window.detections")
        if stats["gpuAdapter"] == "software":  # unasked, the page keeps to WebAssembly: faster than an emulated GPU
            tab.goto(server.url + "?sw=0&frames=1")
            tab.wait_for_function("window.stats.frames >= 1 || window.stats.error", timeout=60_000)
            assert tab.evaluate("window.stats.backend").startswith("WebAssembly SIMD")
    assert stats["error"] is None and stats["backend"] == "WebGPU"
    share, boxes = agreement(records, frames, folder / "model.onnx", spec, settings)
    with capsys.disabled():
        print(f"\ncamera page on WebGPU ({stats['gpuAdapter']} adapter): {boxes} boxes, {share:.1%} with a partner "
              f"at IoU >= 0.9, inference {np.median(stats['inferMs']):.1f} ms/frame (median)")
    assert boxes >= 20 and share >= 0.95


def test_the_page_runs_over_https(page, tmp_path):
    """What --phone serves: TLS set up per connection (so that plain http:// gets a hint) carries the page,
    its runtime and model, with the isolation headers that WebAssembly threads need."""
    from mlbasics.export.web.check import camera_browser
    from mlbasics.export.web.server import serving

    folder, video, _, _, _ = page
    with serving(folder, port=0, https=True, cert_dir=tmp_path) as server, \
            camera_browser(video, ignore_https_errors=True) as context:  # the phone's "proceed" after checking
        tab = context.new_page()
        tab.goto(f"https://localhost:{server.port}/?sw=0")
        tab.wait_for_function("window.stats.frames >= 3 || window.stats.error", timeout=60_000)
        assert tab.evaluate("window.stats.error") is None and tab.evaluate("self.crossOriginIsolated")
