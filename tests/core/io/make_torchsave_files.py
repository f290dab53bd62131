"""torch.save files for tst_torchsave: state dicts as people download them, and files that must be
refused without anything in them running. Usage: make_torchsave_files.py OUT_DIR

  plain.pth       an OrderedDict state dict: float32, float16, bfloat16, int64 and bool tensors,
                  two views of one storage, a transposed (non-contiguous) tensor, a parameter;
  checkpoint.pth  a training checkpoint: {"epoch": 3, "state_dict": {"module.<name>": ...}};
  expected.safetensors  the tensors both should give (names without "module.");
  resnet50_torchsave.pth  torchvision's resnet50 (random weights, bottleneck blocks) with its
                  features on a fixed input in resnet50_torchsave.io.safetensors (names apart from
                  make_torchvision_reference.py's resnet50.*, which runs beside it);
  evil-system.pth a dict whose value pickles as os.system("touch SENTINEL");
  evil-eval.pth   the same through builtins.eval;
  whole-model.pth a pickled nn.Module (a class from the file's code, not a state dict);
  expanded-huge.pth  one stored float viewed as 2^34 (stride 0), which must not be allocated;
  legacy.pth      the pre-1.6 format (a bare pickle);
  short-record.pth  plain.pth with its first storage cut to half (a complete zip).
"""
import collections
import os
import sys
import zipfile

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "support"))
import safetensors_writer  # noqa: E402


class Payload:
    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return (self.function, (self.argument,))


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    base = torch.randn(6, 4)
    state = collections.OrderedDict()
    state["layer.weight"] = base
    state["layer.view"] = base[2:4]  # shares base's storage, with an offset
    state["layer.transposed"] = torch.randn(3, 5).t()
    state["half"] = torch.randn(7).half()
    state["bf16"] = torch.randn(2, 3).bfloat16()
    state["steps"] = torch.tensor([1, -2, 3], dtype=torch.int64)
    state["mask"] = torch.tensor([True, False])
    state["param"] = torch.nn.Parameter(torch.randn(2, 2))
    state["scalar"] = torch.tensor(2.5)
    torch.save(state, os.path.join(out, "plain.pth"))
    torch.save({"epoch": 3, "args": "lr=0.1", "state_dict": collections.OrderedDict(
        ("module." + k, v) for k, v in state.items())}, os.path.join(out, "checkpoint.pth"))
    safetensors_writer.save(os.path.join(out, "expected.safetensors"),
                            {k: v.detach().contiguous() for k, v in state.items()})

    resnet = torchvision.models.resnet50(weights=None).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        m = resnet
        f = m.layer4(m.layer3(m.layer2(m.layer1(m.maxpool(m.relu(m.bn1(m.conv1(x))))))))
        features = torch.flatten(m.avgpool(f), 1)
    torch.save(resnet.state_dict(), os.path.join(out, "resnet50_torchsave.pth"))
    safetensors_writer.save(os.path.join(out, "resnet50_torchsave.io.safetensors"), {"input": x, "features": features})

    sentinel = os.path.join(out, "PICKLE-WAS-EXECUTED")
    if os.path.exists(sentinel):
        os.remove(sentinel)
    torch.save({"weight": torch.zeros(2), "x": Payload(os.system, "touch " + sentinel)},
               os.path.join(out, "evil-system.pth"))
    torch.save({"weight": torch.zeros(2), "x": Payload(eval, "open(%r, 'w').close()" % sentinel)},
               os.path.join(out, "evil-eval.pth"))
    torch.save(torch.nn.Linear(2, 2), os.path.join(out, "whole-model.pth"))
    # One float stored, 2^34 of them asked for (stride 0): 64 GiB from a file of a few hundred bytes.
    torch.save({"big": torch.zeros(1).expand(2 ** 34)}, os.path.join(out, "expanded-huge.pth"))
    torch.save(state, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)
    # A complete zip whose first storage record lost half its bytes: must not load as junk weights.
    with zipfile.ZipFile(os.path.join(out, "plain.pth")) as source, \
            zipfile.ZipFile(os.path.join(out, "short-record.pth"), "w", zipfile.ZIP_STORED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item.filename, data[:len(data) // 2] if item.filename.endswith("/data/0") else data)
    assert not os.path.exists(sentinel)
    print("torch.save files written to", out)


if __name__ == "__main__":
    main(sys.argv[1])
