# Medians and auto decisions of alternated A/B rounds. Input: per round, bench/run.sh --out DIR
# with the run directories (/tmp/s3up-bench/runs/*) copied to DIR/runs after it, and its log as
# DIR.log: python3 medians.py ROOT (ROOT holding old-1, old-1.log, new-1, ...).
import glob, os, re, statistics, sys, json
root = sys.argv[1] if len(sys.argv) > 1 else '.'
rows = {}
for d in sorted(glob.glob(root + '/*-[0-9]*/runs/*')):
    if not os.path.isdir(d): continue
    v = d.split('/')[-3].split('-')[0]
    name = os.path.basename(d)
    for log in sorted(glob.glob(d + '/rep*.log')):
        txt = open(log).read()
        dec = re.findall(r'-> (grow|cut|undo|drain) (\d+)', txt)
        rep = os.path.join(d, 'report.json')
        rows.setdefault((name, v), []).append(dec)
walls = {}
for log in glob.glob(root + '/*.log'):
    v = os.path.basename(log).split('-')[0]
    for m in re.finditer(r'\] (\S+) rep \d+: ([\d.]+)s .*?(auto end (\d+) peak (\d+))? ok', open(log).read()):
        walls.setdefault((m.group(1), v), []).append((float(m.group(2)), m.group(4)))
for k in sorted(walls):
    w = [x[0] for x in walls[k]]
    ends = [x[1] for x in walls[k] if x[1]]
    print(f"{k[0]:55s} {k[1]:4s} n={len(w)} median {statistics.median(w):6.2f} [{min(w):.2f}-{max(w):.2f}] ends {','.join(ends)}")
for k in sorted(rows):
    if 'cauto' not in k[0]: continue
    for dec in rows[k]:
        cuts = sum(1 for x in dec if x[0] == 'cut'); drains = sum(1 for x in dec if x[0] == 'drain')
        print(f"{k[0][:30]:30s} {k[1]:4s} cuts {cuts} drains {drains}: " + ' '.join(f"{a[0]}{a[1]}" for a in dec)[:150])
