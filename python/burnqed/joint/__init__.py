"""Joint SFT + energy training of iter_1 (plan Phase 3 and Tasks 4.1–4.2).

Entry points (JSON config in, JSON-lines events out, as every burnqed job):

- ``python -m burnqed.joint.train --config cfg.json``  the training job (config.JointConfig)
- ``python -m burnqed.joint.smoke --config cfg.json``  one step at a given shape (smoke.SmokeConfig)

Modules, one concept each:

- config.py      JointConfig (plan defaults), remedies for restarts, fingerprints
- dataset.py     JointDataset: the SFT and contrastive streams, token stores, held-out sets
- model.py       JointProver (LoRA policy + GoalConditionedEnergyHead), the iter_0 identity checks
- losses.py      the energy path with its grad routing, InfoNCE (the head owns the temperature)
- probe.py       centroid_l2 and the linear probe of monitoring
- checkpoint.py  resumable checkpoints and the position
- train.py       the step, the loop, monitoring, the job
- export.py      head .pt/.onnx, adapter, merge (merge_lora) and the export check

transformers and peft are imported only where the Hugging Face model is built or merged: the rest
imports and runs with torch and numpy alone.
"""
