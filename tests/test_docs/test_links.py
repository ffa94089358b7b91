# Copyright (c) mmlogitkd contributors. All rights reserved.
"""The documentation's relative links resolve, and README.md stays a
landing page.

Every relative link (inline ``[text](target)``, images, reference
definitions) in README.md, docs/, configs/, projects/ and tools/ must name an
existing file or folder inside the repository; a ``#anchor`` into a markdown
file must name one of its headings, slugged as GitHub does (lower case,
punctuation other than ``-`` and ``_`` dropped, each space a ``-``, repeated
slugs numbered ``-1``, ``-2``, ...), or an explicit ``<a name=...>`` /
``id=...``. Links inside code (fenced blocks, inline spans) and HTML
comments are not links. Plain text processing only: no import of the
package, so this runs in well under a second.
"""
import os
import re
import sys
from functools import lru_cache
from typing import Dict, List, Set, Tuple
from urllib.parse import unquote

import pytest

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, 'README.md')
README_MAX_BYTES = 15_000
# folders whose markdown files are documentation (README.md aside)
DOC_FOLDERS = ('docs', 'configs', 'projects', 'tools')

_FENCE = re.compile(r'^ {0,3}(`{3,}|~{3,})')
_ATX = re.compile(r'^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$')
_SETEXT = re.compile(r'^ {0,3}(=+|-+)[ \t]*$')
_COMMENT = re.compile(r'<!--.*?-->', re.S)
_CODE_SPAN = re.compile(r'(`+)(.+?)\1', re.S)
# [text](target) and ![alt](target), with an optional "title"
_INLINE_LINK = re.compile(
    r'\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:"[^"]*"|\'[^\']*\'))?\s*\)')
_REF_DEF = re.compile(r'^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)', re.M)
_HTML_ANCHOR = re.compile(r'<a\s[^>]*?(?:name|id)\s*=\s*["\']([^"\']+)["\']',
                          re.I)
_SCHEME = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')
_LINE_ANCHOR = re.compile(r'^L\d+(?:C\d+)?(?:-L\d+(?:C\d+)?)?$')


def doc_files() -> List[str]:
    """Repository-relative paths of the markdown files checked."""
    found = ['README.md'] if os.path.isfile(README) else []
    for folder in DOC_FOLDERS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT,
                                                                 folder)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
            found += [
                os.path.relpath(os.path.join(dirpath, name), ROOT)
                for name in sorted(filenames) if name.endswith('.md')
            ]
    return found


def split_code(lines: List[str]) -> List[Tuple[str, bool]]:
    """``(line, in_code)`` for each line: fenced blocks (and their fences)
    are code."""
    out, fence = [], None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                out.append((line, True))
            else:
                out.append((line, False))
        else:
            out.append((line, True))
            if match and match.group(1)[0] == fence[0] and \
                    len(match.group(1)) >= len(fence) and \
                    not line.strip()[len(match.group(1)):].strip():
                fence = None
    return out


def heading_text(raw: str) -> str:
    """The rendered text of a heading's markdown: code spans keep their
    content, links and images their text, emphasis and HTML go."""
    parts = []
    last = 0
    for match in _CODE_SPAN.finditer(raw):
        parts.append((raw[last:match.start()], False))
        parts.append((match.group(2).strip(), True))
        last = match.end()
    parts.append((raw[last:], False))
    text = []
    for part, is_code in parts:
        if not is_code:
            part = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', part)
            part = re.sub(r'<[^>]+>', '', part)
            part = re.sub(r'(\*{1,3})(\S.*?)\1', r'\2', part)
            part = re.sub(r'(?<!\w)(_{1,3})(\S.*?)\1(?!\w)', r'\2', part)
        text.append(part)
    return ''.join(text).strip()


def github_slug(text: str) -> str:
    """GitHub's anchor for a heading whose rendered text is ``text``
    (github-slugger): lower case, keep letters, digits, ``_``, ``-`` and
    spaces, then each space becomes ``-``."""
    return re.sub(r'[^\w\- ]', '', text.lower()).replace(' ', '-')


@lru_cache(maxsize=None)
def anchors_of(path: str) -> Set[str]:
    """Every anchor a markdown file defines (headings, numbered as GitHub
    numbers repeats, and explicit HTML anchors)."""
    with open(path, encoding='utf-8') as f:
        text = _COMMENT.sub('', f.read())
    lines = split_code(text.splitlines())
    headings = []
    for i, (line, in_code) in enumerate(lines):
        if in_code:
            continue
        match = _ATX.match(line)
        if match:
            headings.append(heading_text(match.group(2)))
            continue
        if i and _SETEXT.match(line):
            prev, prev_code = lines[i - 1]
            if not prev_code and prev.strip() and not _ATX.match(prev) and \
                    not prev.lstrip().startswith(('|', '-', '*', '>')):
                headings.append(heading_text(prev.strip()))
    seen: Dict[str, int] = {}
    anchors = set()
    for heading in headings:
        slug = github_slug(heading)
        if slug in seen:
            seen[slug] += 1
            anchors.add(f'{slug}-{seen[slug]}')
        else:
            seen[slug] = 0
            anchors.add(slug)
    anchors.update(_HTML_ANCHOR.findall(text))
    return anchors


def links_of(path: str) -> List[Tuple[int, str]]:
    """``(line number, target)`` of every link outside code and comments."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    # blank comments and code spans out, keeping line numbers
    text = _COMMENT.sub(lambda m: '\n' * m.group(0).count('\n'), text)
    found = []
    lines = split_code(text.splitlines())
    body = '\n'.join('' if in_code else line for line, in_code in lines)
    body = _CODE_SPAN.sub(lambda m: re.sub(r'[^\n]', ' ', m.group(0)), body)
    for pattern in (_INLINE_LINK, _REF_DEF):
        for match in pattern.finditer(body):
            target = match.group(1)
            if target.startswith('<') and target.endswith('>'):
                target = target[1:-1]
            found.append((body.count('\n', 0, match.start()) + 1, target))
    return sorted(found)


def broken_links(rel_path: str) -> List[str]:
    """What is wrong with the links of one file, one line per link."""
    path = os.path.join(ROOT, rel_path)
    problems = []
    for lineno, target in links_of(path):
        if _SCHEME.match(target) or target.startswith('//'):
            continue  # http(s), mailto, ...: not checked here
        where = f'{rel_path}:{lineno}: ({target})'
        file_part, _, anchor = target.partition('#')
        file_part = unquote(file_part)
        if file_part.startswith('/'):
            problems.append(f'{where} is absolute; link relative to the file')
            continue
        dest = os.path.normpath(
            os.path.join(os.path.dirname(path), file_part)) \
            if file_part else path
        if os.path.commonpath([ROOT, dest]) != ROOT:
            problems.append(f'{where} leaves the repository')
            continue
        if not os.path.exists(dest):
            problems.append(f'{where} names no file: '
                            f'{os.path.relpath(dest, ROOT)}')
            continue
        if not anchor:
            continue
        anchor = unquote(anchor)
        if dest.endswith('.md') and os.path.isfile(dest):
            if anchor not in anchors_of(dest):
                problems.append(f'{where} names no heading of '
                                f'{os.path.relpath(dest, ROOT)}; its anchors: '
                                f'{sorted(anchors_of(dest))}')
        elif not (os.path.isfile(dest) and _LINE_ANCHOR.match(anchor)):
            problems.append(f'{where}: an anchor into a file that is not '
                            'markdown must be a line anchor (#L10, #L10-L20)')
    return problems


def test_readme_is_a_landing_page():
    size = os.path.getsize(README)
    assert size <= README_MAX_BYTES, (
        f'README.md is {size} bytes, more than {README_MAX_BYTES}: move '
        'the detail into docs/en/ and link it')


@pytest.mark.parametrize('rel_path', doc_files())
def test_relative_links_resolve(rel_path):
    problems = broken_links(rel_path)
    assert not problems, '\n'.join(problems)


def test_docs_index_lists_every_page():
    index = os.path.join(ROOT, 'docs', 'en', 'index.md')
    linked = {
        os.path.normpath(os.path.join(os.path.dirname(index),
                                      t.split('#')[0]))
        for _, t in links_of(index) if not _SCHEME.match(t)
    }
    pages = [
        p for p in doc_files()
        if p.startswith(os.path.join('docs', 'en') +
                        os.sep) and os.path.join(ROOT, p) != index
    ]
    missing = [p for p in pages if os.path.join(ROOT, p) not in linked]
    assert not missing, f'docs/en/index.md does not link {missing}'


@pytest.mark.parametrize('heading, slug', [
    ('Ablations (`ablations/`)', 'ablations-ablations'),
    ('COCO (Faster R-CNN FPN, detection)', 'coco-faster-r-cnn-fpn-detection'),
    ('Configs and teacher–student pairs', 'configs-and-teacherstudent-pairs'),
    ('One `_base_` per pair', 'one-_base_-per-pair'),
    ('Hyper-parameters (suppl. sec. 2)', 'hyper-parameters-suppl-sec-2'),
    ('Where the paper and the official code disagree (paper followed)',
     'where-the-paper-and-the-official-code-disagree-paper-followed'),
    ('**Bold** and [a link](x.md)', 'bold-and-a-link'),
])
def test_github_slug(heading, slug):
    assert github_slug(heading_text(heading)) == slug


def test_checker_finds_broken_links(tmp_path, monkeypatch):
    """The checker itself: a missing file, a missing heading, and links in
    code or comments ignored."""
    monkeypatch.setattr(sys.modules[__name__], 'ROOT', str(tmp_path))
    (tmp_path / 'a.md').write_text('# Title\n\n## Same\n\n## Same\n')
    (tmp_path / 'b.md').write_text(
        '[ok](a.md#title) [ok](a.md#same-1) [ok](#here)\n\n'
        '# Here\n\n'
        '[missing](nope.md) [bad anchor](a.md#other)\n\n'
        '`[code](nope.md)` <!-- [comment](nope.md) -->\n\n'
        '```\n[fenced](nope.md)\n```\n\n'
        '[ext](https://example.com/x.md)\n')
    problems = broken_links('b.md')
    assert len(problems) == 2, problems
    assert any('(nope.md) names no file' in p for p in problems), problems
    assert any('(a.md#other) names no heading' in p for p in problems), \
        problems
