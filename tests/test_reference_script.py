"""A script written for the reference (gliner 0.2.29), model-card style, runs on gliner_bench with only its import
changed (issue 28): load with the keywords model cards pass, predict, evaluate, train a few steps, quantise, export."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CKPT = Path(__file__).parent / "fixtures" / "parity" / "span_markerV0"

SCRIPT = """
from gliner_bench import GLiNER  # was: from gliner import GLiNER

model = GLiNER.from_pretrained(CKPT, load_tokenizer=True, local_files_only=True, max_length=384)
text = "Cristiano Ronaldo dos Santos Aveiro is a Portuguese professional footballer who plays as a forward."
labels = ["Person", "Award", "Date", "Competitions", "Teams"]
entities = model.predict_entities(text, labels, threshold=0.0)
for entity in entities[:3]:
    print(entity["text"], "=>", entity["label"])

data = [{"tokenized_text": ["Angela", "Merkel", "visited", "Paris", "."], "ner": [[0, 1, "person"], [3, 3, "city"]]}]
out, f1 = model.evaluate(data, flat_ner=True, threshold=0.5, batch_size=12)
print(out.strip())

args = model.create_training_args(output_dir=OUT, learning_rate=5e-6, weight_decay=0.01, others_lr=1e-5,
                                  others_weight_decay=None, lr_scheduler_type="linear", warmup_ratio=0.1,
                                  per_device_train_batch_size=1, focal_loss_alpha=0.75, focal_loss_gamma=2,
                                  max_steps=2, save_steps=2, save_total_limit=1, dataloader_num_workers=0,
                                  use_cpu=True, report_to="none")
trainer = model.train_model(train_dataset=data, eval_dataset=data, training_args=args)

model.quantize("int8")
reloaded = GLiNER.from_pretrained(str(OUT) + "/final")
paths = reloaded.export_to_onnx(str(OUT) + "/onnx", quantize=True)
onnx_model = GLiNER.from_pretrained(paths["quantized_path"], load_onnx_model=True)
print("onnx", len(onnx_model.predict_entities(text, labels, threshold=0.0)) > 0)
"""


def test_a_reference_script_runs_with_its_imports_changed(tmp_path):
    script = f"CKPT = {str(CKPT)!r}\nOUT = {str(tmp_path / 'run')!r}\n" + textwrap.dedent(SCRIPT)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert len([line for line in lines if " => " in line]) == 3
    assert any(line.startswith("P: ") and "F1: " in line for line in lines)
    assert lines[-1] == "onnx True"
