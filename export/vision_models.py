"""What each MediaPipe vision model is: where it sits in the wheel, what it takes, what it gives.

Input ranges come from MediaPipe's graphs (``output_tensor_float_range`` of the
ImageToTensorCalculator before each model): face and pose detection take [-1, 1]; palm
detection (the 192x192 lite/full models), hand and pose landmarks take [0, 1]. Output names
and shapes are the .tflite files' own; the meanings follow MediaPipe's decoding calculators.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VisionModel:
    """One MediaPipe model: where it is in the wheel and what its tensors mean."""

    role: str
    member: str  # path inside the wheel
    title: str
    size: int  # square NHWC input, RGB
    value_range: tuple[float, float]  # pixel 0..255 maps linearly onto this
    outputs: dict[str, str] = field(hash=False)  # name -> meaning
    compare_after_sigmoid: tuple[str, ...] = ()  # logits MediaPipe only reads as probabilities


_MODULES = "mediapipe/modules"
_PER_ANCHOR = "per anchor: box centre x,y (input pixels from the anchor centre), width, height"
VISION_MODELS: dict[str, VisionModel] = {
    m.role: m
    for m in (
        VisionModel(
            role="face_detection",
            # full range: faces up to about 5 m, what a room camera sees (short range stops
            # at about 2 m: the astronaut photo's face at 360 px in a 640 x 480 frame is lost)
            member=f"{_MODULES}/face_detection/face_detection_full_range_sparse.tflite",
            title="BlazeFace full range (sparse)",
            size=192,
            value_range=(-1.0, 1.0),
            outputs={
                "Identity": f"[1,2304,16] {_PER_ANCHOR}, then 6 keypoints x,y",
                "Identity_1": "[1,2304,1] face score logit per anchor",
            },
        ),
        VisionModel(
            role="palm_detection",
            member=f"{_MODULES}/palm_detection/palm_detection_lite.tflite",
            title="palm detection lite",
            size=192,
            value_range=(0.0, 1.0),
            outputs={
                "Identity": f"[1,2016,18] {_PER_ANCHOR}, then 7 keypoints x,y",
                "Identity_1": "[1,2016,1] palm score logit per anchor",
            },
        ),
        VisionModel(
            role="hand_landmarks",
            member=f"{_MODULES}/hand_landmark/hand_landmark_lite.tflite",
            title="hand landmarks lite",
            size=224,
            value_range=(0.0, 1.0),
            outputs={
                "Identity": "[1,63] 21 landmarks x,y,z (input pixels)",
                "Identity_1": "[1,1] hand presence probability",
                "Identity_2": "[1,1] probability of 'Left' (handedness.txt label 0) as MediaPipe "
                "reads it, for a mirrored (selfie) image: swap for an unmirrored camera",
                "Identity_3": "[1,63] 21 world landmarks x,y,z (metres, origin at the hand's centre)",
            },
        ),
        VisionModel(
            role="pose_detection",
            member=f"{_MODULES}/pose_detection/pose_detection.tflite",
            title="BlazePose detector",
            size=224,
            value_range=(-1.0, 1.0),
            outputs={
                "Identity": f"[1,2254,12] {_PER_ANCHOR}, then 4 keypoints x,y: hip centre, "
                "full-body size/rotation point, shoulder centre, upper-body size/rotation point",
                "Identity_1": "[1,2254,1] pose score logit per anchor",
            },
        ),
        VisionModel(
            role="pose_landmarks",
            member=f"{_MODULES}/pose_landmark/pose_landmark_full.tflite",
            title="BlazePose landmarks full",
            size=256,
            value_range=(0.0, 1.0),
            outputs={
                "Identity": "[1,195] 39 landmarks (33 body + 6 auxiliary): x,y,z (input pixels), "
                "visibility logit, presence logit",
                "Identity_1": "[1,1] pose presence probability",
                "Identity_2": "[1,256,256,1] segmentation logits (person vs background)",
                "Identity_3": "[1,64,64,39] landmark heatmaps",
                "Identity_4": "[1,117] 39 world landmarks x,y,z (metres, origin between the hips)",
            },
            compare_after_sigmoid=("Identity_2",),
        ),
    )
}
