"""The profiler: what each model costs on this box, and what a whole command costs."""
