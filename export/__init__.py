"""Model export: Optimum/OpenVINO/NNCF conversions, fidelity gates, bundle manifests.

Run as ``python -m export --config device_configs/cpu.yaml`` or ``edge-assistant export``.
Needs the ``export`` extra (torch, transformers, optimum, nncf, the model packages).
"""
