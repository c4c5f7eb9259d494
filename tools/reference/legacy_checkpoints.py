#!/usr/bin/python3
"""Legacy torch.save files (the format before PyTorch 1.6) for nativeext's checkpoint tests.

PyTorch 1.0-1.5 saved every checkpoint in this format: maskrcnn-benchmark's model zoo and
torchvision's first ImageNet weights (resnet50-19c8e357.pth) among them. It is five pickles in a
row (torch's magic number, the protocol version 1001, a sys_info dict, the object, the sorted list
of storage keys) and then each storage as an int64 element count and its raw bytes; tensors are
persistent ids ('storage', torch.<Type>Storage, key, location, numel, view_metadata) rebuilt by
torch._utils._rebuild_tensor_v2 (or _rebuild_tensor before PyTorch 0.4).

Usage (Debian: apt-get install python3-torch; run with /usr/bin/python3):
  legacy_checkpoints.py <fixtures dir>
writes
  tv_resnet_narrow/weights_legacy.pth   that folder's weights.pth (zip) re-saved by torch.save in
                                        the legacy format (_use_new_zipfile_serialization=False);
  legacy_views/weights.pth              a maskrcnn-benchmark-style {"model": state dict} written
                                        by this script in the legacy layout, with what torch.save
                                        no longer writes but old files hold: a storage view
                                        (view_metadata), _rebuild_tensor (v1), two tensors on one
                                        storage at different offsets, a float16 and a transposed
                                        (non-contiguous) tensor;
  legacy_views/expected.safetensors     what torch.load gives for each of its tensors, as float32.
"""
import os
import pickle
import struct
import sys
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from backbone_reference import write_safetensors  # noqa: E402

MAGIC = 0x1950a86a20f9469cfc6c
PROTOCOL = 1001


class Storage:
    """A root storage of the legacy layout: its torch type, key and values; view: None or (key, offset, size)."""

    def __init__(self, typ, key, values, view=None):
        self.typ, self.key, self.values, self.view = typ, key, values, view


class Tensor:
    """Pickles as torch pickles a tensor: a reduce by _rebuild_tensor_v2 (or v1) over a storage."""

    def __init__(self, storage, offset, size, stride, v1=False):
        self.storage, self.offset, self.size, self.stride, self.v1 = storage, offset, size, stride, v1

    def __reduce__(self):
        if self.v1:
            return torch._utils._rebuild_tensor, (self.storage, self.offset, self.size, self.stride)
        return torch._utils._rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, OrderedDict())


class LegacyPickler(pickle.Pickler):
    def __init__(self, f):
        super().__init__(f, protocol=2)
        self.storages = {}

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            self.storages[obj.key] = obj
            return ("storage", obj.typ, obj.key, "cpu", len(obj.values), obj.view)
        return None


def write_legacy(path, obj):
    with open(path, "wb") as f:
        for head in (MAGIC, PROTOCOL, dict(protocol_version=PROTOCOL, little_endian=True,
                                           type_sizes=dict(short=2, int=4, long=4))):
            pickle.dump(head, f, protocol=2)
        p = LegacyPickler(f)
        p.dump(obj)
        keys = sorted(p.storages)
        pickle.dump(keys, f, protocol=2)
        for k in keys:
            s = p.storages[k]
            data = torch.tensor(s.values, dtype={torch.FloatStorage: torch.float32,
                                                 torch.HalfStorage: torch.float16}[s.typ]).numpy().tobytes()
            f.write(struct.pack("<q", len(s.values)))
            f.write(data)


def main(argv):
    if len(argv) != 1:
        print(__doc__)
        return 2
    root = argv[0]
    tv = os.path.join(root, "tv_resnet_narrow")
    sd = torch.load(os.path.join(tv, "weights.pth"))
    torch.save(sd, os.path.join(tv, "weights_legacy.pth"), _use_new_zipfile_serialization=False)

    a = Storage(torch.FloatStorage, "140001", [float(i) for i in range(24)])
    b = Storage(torch.FloatStorage, "140002", [0.5 * i - 3 for i in range(12)], view=("140003", 4, 6))
    h = Storage(torch.HalfStorage, "140004", [1.0, -2.5, 0.099975586, 65504.0, 6.1035156e-05, -0.0])
    model = OrderedDict([
        ("backbone.body.stem.conv1.weight", Tensor(a, 0, (2, 3, 2, 2), (12, 4, 2, 1))),
        ("backbone.body.stem.bn1.weight", Tensor(a, 20, (4,), (1,))),      # the same storage, an offset
        ("backbone.body.stem.bn1.bias", Tensor(b, 1, (2, 2), (2, 1))),     # a view's elements 1..4 = root 5..8
        ("backbone.body.stem.bn1.running_mean", Tensor(h, 0, (6,), (1,), v1=True)),
        ("backbone.fpn.fpn_inner2.weight", Tensor(a, 2, (3, 4), (1, 3))),  # transposed: not contiguous
    ])
    out = os.path.join(root, "legacy_views")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "weights.pth")
    write_legacy(path, {"model": model, "iteration": 90000})
    loaded = torch.load(path)["model"]
    write_safetensors(os.path.join(out, "expected.safetensors"),
                      OrderedDict((k, v.float()) for k, v in loaded.items()))
    for k, v in loaded.items():
        print(k, v.dtype, tuple(v.shape), v.flatten().tolist())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
