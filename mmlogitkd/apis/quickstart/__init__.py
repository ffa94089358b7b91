# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The quick starts of ``tools/quickstart.py`` (its command line and the
order of its runs are the tool's):

- :mod:`.tasks`: what each task (``cls``, ``det``, ``reid``) trains,
  measures and does around its runs;
- :mod:`.runs`: one run through ``tools/train.py``, the metric it logged,
  and the keys and records that let a finished run be reused;
- :mod:`.teachers`: the teacher trained once and cached, and its cached
  logits (``--teacher-cache``) with the time they save;
- :mod:`.det_stages`: the detection data, pretrained backbones and the
  teacher's accuracy on the student's RoIs;
- :mod:`.report`: statistics over seeds, ``results.json``, the table and
  the plot.
"""
