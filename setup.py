# Copyright (c) mmlogitkd contributors. All rights reserved.
"""Install with ``pip install -e .`` (or let ``tools/install.sh`` do it).

The OpenMMLab stack has version pins that pip cannot resolve by itself on a
fresh machine (mmcv ships only an sdist, and mmdet/mmpretrain would drag in
another torch), so runtime requirements live in ``requirements/`` and are
installed in order by ``tools/install.sh``; here they are only declared.
"""
import os.path as osp
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    namespace: dict = {}
    with open(osp.join(HERE, 'mmlogitkd', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), namespace)
    return namespace['__version__']


def parse_requirements(name: str) -> list:
    path = osp.join(HERE, 'requirements', name)
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


setup(
    name='mmlogitkd',
    version=get_version(),
    description='Logit-based knowledge distillation on OpenMMLab',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=parse_requirements('runtime.txt'),
    extras_require={
        'tests': parse_requirements('tests.txt'),
    },
    zip_safe=False)
