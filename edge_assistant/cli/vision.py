"""``edge-assistant watch``: the vision path on its own."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from edge_assistant.cli.common import fail, load_config
from edge_assistant.cli.understand import area_id
from edge_assistant.errors import EdgeAssistantError
from edge_assistant.home.model import load_home


def watch_command(
    config: Annotated[
        str, typer.Option(help="Device config: a name in device_configs/ or a path.")
    ] = "cpu",
    home: Annotated[
        Path, typer.Option(help="The home model (home.yaml): zone areas and devices.")
    ] = Path("examples/home.yaml"),
    video_file: Annotated[
        Path | None,
        typer.Option(help="Read this video file or image pattern instead of the camera."),
    ] = None,
    annotate: Annotated[
        Path | None,
        typer.Option(help="Write the frames with boxes, landmarks, zones and gestures (.avi)."),
    ] = None,
    realtime: Annotated[
        bool, typer.Option(help="Play a file at its frame rate (dropping what is late).")
    ] = False,
    camera: Annotated[
        bool, typer.Option("--camera/--no-camera", help="Privacy switch: --no-camera = off.")
    ] = True,
    every_frame: Annotated[
        bool, typer.Option(help="Print a line per frame with its timings, not only changes.")
    ] = False,
    area: Annotated[
        str | None,
        typer.Option(help="Area (id or name) the camera is in; overrides vision.area."),
    ] = None,
    models_dir: Annotated[Path | None, typer.Option(help="Bundle root override.")] = None,
) -> None:
    """Watch the camera (or --video-file) and print, one JSON object per line, each change of
    what it sees (people per area, speaker area, gesture, pointing target) with the frame's
    per-stage timings. Ctrl-C stops."""
    from edge_assistant.capture.video import VideoSource
    from edge_assistant.vision.pipeline import VisionPipeline

    device = load_config(config)
    vision = device.config.vision
    capture = vision.capture.model_copy(
        update={"enabled": camera and vision.capture.enabled}
        | ({"source": str(video_file)} if video_file else {})
    )
    if not capture.enabled:
        typer.echo(json.dumps({"event": "camera_off", "reason": "privacy switch"}))
        return
    try:
        the_home = load_home(home)
        if area is not None:
            vision = vision.model_copy(update={"area": area_id(the_home, area)})
            device = dataclasses.replace(
                device, config=device.config.model_copy(update={"vision": vision})
            )
        pipeline = VisionPipeline.from_config(device, the_home, models_dir)
        source = VideoSource(capture, realtime=realtime or video_file is None)
    except EdgeAssistantError as exc:
        fail(exc)
    try:
        asyncio.run(_watch(pipeline, source, annotate, every_frame))
    except KeyboardInterrupt:
        pass
    except EdgeAssistantError as exc:
        fail(exc)
    finally:
        source.close()


async def _watch(pipeline, source, annotate: Path | None, every_frame: bool) -> None:
    import cv2

    from edge_assistant.vision.annotate import draw

    loop = asyncio.get_running_loop()
    writer, last = None, None
    fps = source.config.fps
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vision") as worker:
        try:
            async for frame in source.frames():
                # the tracker's clock: wall time live; for a file its own time (read fast or
                # looped, its position is what says how long someone was in view)
                now = frame.timestamp if source.live else frame.index / fps
                result = await loop.run_in_executor(worker, pipeline.process, frame.image, now)
                context = result.context
                state = (sorted(context.people.items()), context.in_view, context.speaker_area,
                         context.gesture, context.pointing_target)  # fmt: skip
                if state != last or every_frame:
                    line = {
                        "event": "context" if state != last else "frame",
                        "frame": frame.index,
                        "people": context.people,
                        "in_view": context.in_view,
                        "speaker_area": context.speaker_area,
                        "gesture": context.gesture,
                        "pointing_target": context.pointing_target,
                        "faces": len(result.faces),
                        "hands": [h.gesture for h in result.hands],
                        "bodies": len(result.bodies),
                        "timings_ms": {k: round(v, 2) for k, v in result.timings.items()},
                    }
                    typer.echo(json.dumps(line))
                    last = state
                if annotate is not None:
                    image = draw(frame.image, result, pipeline.zones)
                    if writer is None:
                        height, width = image.shape[:2]
                        fourcc = cv2.VideoWriter_fourcc(*"MJPG")
                        writer = cv2.VideoWriter(str(annotate), fourcc, fps, (width, height))
                        if not writer.isOpened():
                            raise EdgeAssistantError(
                                f"--annotate {annotate}: OpenCV cannot write it; use an .avi path "
                                "in a writable folder"
                            )
                    writer.write(image)
        finally:
            if writer is not None:
                writer.release()
    stats = source.stats
    typer.echo(json.dumps({"event": "end", "read": stats.read, "delivered": stats.delivered,
                           "dropped": stats.dropped, "corrupt": stats.corrupt}))  # fmt: skip
