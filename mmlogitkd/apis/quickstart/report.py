# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The quick start's results: statistics over seeds (``results.json``),
the markdown table (``results.md``) and the bar plot."""
import json
import math
import statistics
from collections import OrderedDict
from typing import Optional, Tuple

from .runs import TEACHER_SEED

__all__ = [
    'mean_se', 'seed_results', 'write_json', 'markdown_table', 'plot',
    'write_results'
]


def mean_se(values) -> Tuple[float, Optional[float]]:
    """Mean and standard error of ``values`` (the sample standard
    deviation, ddof 1, over sqrt(n)); the SE is None for one value."""
    values = [float(v) for v in values]
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, None
    return mean, statistics.stdev(values) / math.sqrt(len(values))


def seed_results(task: str, metric: str, seeds, teacher: float,
                 values) -> dict:
    """The content of ``results.json``.

    Args:
        task (str): ``'cls'``, ``'det'`` or ``'reid'``.
        metric (str): The metric's name (``'top-1'``, ``'bbox AP'``, ...).
        seeds (list[int]): The student runs' seeds.
        teacher (float): The teacher's metric (%), trained with seed 0.
        values (dict[str, dict[int, float]]): Metric (%) by seed of
            ``'student'`` (the student alone) and of each method.

    Returns:
        dict: ``runs[name]`` has ``per_seed`` (seeds as strings), ``mean``
        and ``se``; a method also has ``gain``, the mean and SE of its
        per-seed differences with the student alone (paired by seed: the
        seed's data order and initialisation are shared, so their
        variation cancels). The teacher has ``per_seed`` only.
    """
    seeds = list(seeds)
    student = values['student']
    runs = {'teacher': {'per_seed': {str(TEACHER_SEED): float(teacher)}}}
    for name, by_seed in values.items():
        mean, se = mean_se(by_seed[s] for s in seeds)
        run = dict(
            per_seed={str(s): float(by_seed[s])
                      for s in seeds},
            mean=mean,
            se=se)
        if name != 'student':
            gain, gain_se = mean_se(by_seed[s] - student[s] for s in seeds)
            run['gain'] = dict(mean=gain, se=gain_se)
        runs[name] = run
    return dict(task=task, metric=metric, seeds=seeds, runs=runs)


def write_json(results: dict, path: str) -> None:
    """Write ``results.json`` (atomically)."""
    from mmlogitkd.utils.checkpoint import atomic_write_bytes
    atomic_write_bytes((json.dumps(results, indent=1) + '\n').encode(), path)


def _pm(mean: float, se: Optional[float], sign: str = '') -> str:
    return f'{mean:{sign}.2f} ± {se:.2f}'


def _value(value: Optional[float]) -> str:
    # a teacher cached before its extra metric was recorded has none
    return '' if value is None else f'{value:.2f}'


def _seconds(rows) -> str:
    total = sum(r['seconds'] for r in rows)
    cached = sum(bool(r.get('cached')) for r in rows)
    if cached == len(rows):
        return f'cached ({total:.1f})'
    if cached:
        return f'{total:.1f} ({cached} cached)'
    return f'{total:.1f}'


def markdown_table(results: dict, rows, task) -> str:
    """The table of ``task``'s runs (``rows``: one per run and seed, the
    teacher first, in order): with one seed, each run's metric and its
    difference with the student alone; with several, mean ± SE and the
    paired gain ± SE (``results``, see ``seed_results``), and every seed's
    value."""
    seeds = results['seeds']
    runs = results['runs']
    names = list(OrderedDict.fromkeys(r['name'] for r in rows))
    by_name = {n: [r for r in rows if r['name'] == n] for n in names}
    extra = task.extra_metric is not None
    if len(seeds) == 1:
        student = runs.get('student', {}).get('mean')
        lines = [
            f'| run | method | {task.metric_label} |'
            f'{f" {task.extra_label} |" if extra else ""} vs student alone '
            '| time (s) |',
            '|---|---|---:|' + ('---:|' if extra else '') + '---:|---:|',
        ]
        for name in names:
            row = by_name[name][0]
            if name == 'teacher' or student is None:
                delta = ''
            else:
                delta = f'{row["value"] - student:+.2f}'
            ap50 = f' {_value(row["extra"])} |' if extra else ''
            lines.append(f'| {name} | {row["label"]} | '
                         f'{row["value"]:.2f} |{ap50} {delta} | '
                         f'{_seconds([row])} |')
        return '\n'.join(lines)

    lines = [
        f'| run | method | {task.metric_label}, mean ± SE |' +
        (f' {task.extra_label}, mean ± SE |' if extra else '') +
        ' vs student alone, paired mean ± SE | per seed '
        f'({" / ".join(map(str, seeds))}) | time (s) |',
        '|---|---|---:|' + ('---:|' if extra else '') + '---:|---|---:|',
    ]
    for name in names:
        group = by_name[name]
        label = group[0]['label']
        if name == 'teacher':
            row = group[0]
            ap50 = f' {_value(row["extra"])} |' if extra else ''
            lines.append(f'| {name} | {label} | {row["value"]:.2f} |{ap50} '
                         f'| {row["value"]:.2f} (seed {row["seed"]} only) '
                         f'| {_seconds(group)} |')
            continue
        run = runs[name]
        ap50 = (f' {_pm(*mean_se(r["extra"] for r in group))} |'
                if extra else '')
        gain = _pm(run['gain']['mean'], run['gain']['se'],
                   '+') if 'gain' in run else ''
        per_seed = ' / '.join(f'{run["per_seed"][str(s)]:.2f}' for s in seeds)
        lines.append(f'| {name} | {label} | {_pm(run["mean"], run["se"])} |'
                     f'{ap50} {gain} | {per_seed} | {_seconds(group)} |')
    return '\n'.join(lines)


def plot(results: dict, rows, path: str, task) -> None:
    """Bars of ``task``'s runs' metric; with several seeds the means with
    SE error bars, labelled mean ± SE and, for the methods, the paired gain
    ± SE."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    seeds = results['seeds']
    several = len(seeds) > 1
    names = list(OrderedDict.fromkeys(r['name'] for r in rows))
    shorts = {r['name']: r['short'] for r in rows}
    means, errors, labels = [], [], []
    for name in names:
        run = results['runs'][name]
        if name == 'teacher':
            value, se = run['per_seed'][str(TEACHER_SEED)], None
        else:
            value, se = run['mean'], run['se']
        means.append(value)
        errors.append(se or 0.)
        label = f'{value:.1f}' if se is None else f'{value:.1f}±{se:.1f}'
        if several and 'gain' in run:
            label += f'\n{run["gain"]["mean"]:+.1f}±{run["gain"]["se"]:.1f}'
        labels.append(label)
    student = results['runs'].get('student', {}).get('mean')
    colors = [
        '#7f7f7f' if n == 'teacher' else
        '#d62728' if n == 'student' else '#1f77b4' for n in names
    ]
    fig, ax = plt.subplots(figsize=(1.1 * len(names) + 2.5, 4.2))
    bars = ax.bar([shorts[n] for n in names], means, color=colors)
    with_se = [i for i, n in enumerate(names) if n != 'teacher']
    if several:
        ax.errorbar(
            with_se, [means[i] for i in with_se],
            yerr=[errors[i] for i in with_se],
            fmt='none',
            ecolor='black',
            elinewidth=1,
            capsize=4)
    for bar, value, err, label in zip(bars, means, errors, labels):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            value + err + 0.3,
            label,
            ha='center',
            va='bottom',
            fontsize=8 if several else 9)
    if student is not None:
        ax.axhline(student, color='#d62728', linestyle='--', linewidth=1)
        ax.text(
            len(names) - 0.5,
            student,
            ' student\n alone',
            color='#d62728',
            va='center',
            ha='left',
            fontsize=8)
    ax.set_xlim(-0.6, len(names) + 0.3)
    tops = [m + e for m, e in zip(means, errors)]
    ax.set_ylim(max(0., min(means) - 8.), max(tops) + (8. if several else 4.))
    ax.set_ylabel(task.metric_label)
    title = f"Logit distillation on scikit-learn's digits: {task.title}"
    if several:
        title += (f'\nmean ± SE over seeds {", ".join(map(str, seeds))}; '
                  'below: gain over the student alone, paired by seed')
    ax.set_title(title, fontsize=10 if several else None)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(path: str, table: str, argv, total_seconds: float, seeds,
                  data_note: str) -> None:
    """Write ``results.md``: the data note, the table and the command."""
    command = ' '.join(['python tools/quickstart.py'] + list(argv))
    text = ['# mmlogitkd quick start: results', '', data_note, '']
    if len(seeds) > 1:
        text += [
            f'Student runs over seeds {", ".join(map(str, seeds))} (the '
            f'teacher once, seed {TEACHER_SEED}): mean ± SE (the sample '
            'standard deviation over sqrt(n)); vs student alone: the mean '
            '± SE of the per-seed differences with the student alone of the '
            'same seed. Every number: `results.json`.', ''
        ]
    text += [
        table, '', f'Total time: {total_seconds:.0f} s. Command: '
        f'`{command}`.', ''
    ]
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(text))
