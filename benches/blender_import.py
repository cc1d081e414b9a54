#!/usr/bin/env python3
"""Imports exported GLBs into Blender's glTF importer (the `bpy` wheel from
PyPI) and prints, per file, what Blender made of it: objects, meshes,
cameras, lights, actions and the frame range of the animation, next to the
run's frame count. Not part of CI (the wheel is large and Python-version
specific); run it by hand:

    pip install --target /tmp/bpy bpy==4.2.0      # Python 3.11
    cargo run --release -- export examples/domino_chain.rhai --out /tmp/g/domino_chain.glb
    PYTHONPATH=/tmp/bpy python3 benches/blender_import.py /tmp/g/*.glb
"""
import json
import struct
import sys

import bpy  # noqa: E402


def scene_extras(path):
    """fps and frame count that c2w writes into the scene's extras."""
    with open(path, "rb") as f:
        data = f.read()
    length = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + length])
    return doc["scenes"][doc.get("scene", 0)].get("extras", {})


def main(paths):
    for path in paths:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        extras = scene_extras(path)
        fps = int(extras.get("fps", 24))
        bpy.context.scene.render.fps = fps
        result = bpy.ops.import_scene.gltf(filepath=path)
        objects = bpy.data.objects
        kinds = {}
        for o in objects:
            kinds[o.type] = kinds.get(o.type, 0) + 1
        ranges = [tuple(a.frame_range) for a in bpy.data.actions]
        start = min((r[0] for r in ranges), default=0)
        end = max((r[1] for r in ranges), default=0)
        frames = extras.get("frames")
        print(
            json.dumps(
                {
                    "file": path,
                    "import": sorted(result),
                    "objects": len(objects),
                    "by_type": kinds,
                    "actions": len(bpy.data.actions),
                    "frame_range": [start, end],
                    "run_frames": frames,
                    # Blender counts frames from 0 here as the file's time 0.
                    "range_matches": frames is None or abs((end - start) - (frames - 1)) <= 1,
                }
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
