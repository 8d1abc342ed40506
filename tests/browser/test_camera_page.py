"""The detector on a (fake) camera in headless Chromium: the boxes the page draws are Python's.

A seeded untrained tiny-YOLO (the property does not need training) is exported with
``--formats web``'s code, served on 127.0.0.1, and opened with a ``.y4m`` of synthetic scenes as
the camera; every frame carries its number, so each of the page's detections is compared with
Python's decode of the same frame read back from the video.
"""

import numpy as np
import pytest

from mlbasics.core.errors import MlbasicsError
from mlbasics.export.web.check import agreement, chromium, run_page, untrained_detector

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
    model = untrained_detector(spec, np.stack([letterbox(f, SIZE)[0] for f in frames[:8]]).astype(np.float32) / 255)
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
    with capsys.disabled():  # shown in every run's log, not only when the test fails
        print(f"\ncamera page: {len(run.detections)} frames ({len(tags)} distinct), {boxes} boxes, "
              f"{share:.1%} with a partner at IoU >= 0.9; {run.fps:.1f} fps, "
              f"inference {np.median(run.infer_ms):.1f} ms/frame (median, 1 WebAssembly thread)")
    assert len(tags) >= 5 and all(0 <= t < len(frames) for t in tags)  # frame numbers read right
    assert boxes >= 50
    assert share >= 0.95
    assert run.fps > 0
