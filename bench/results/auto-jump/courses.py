# Each auto run of an A/B folder: version-round, network, engine, wall s, and its decisions (holds left out).
import glob, os, re, sys
root = sys.argv[1]
walls = {}
for log in glob.glob(root + '/*.log'):
    tag = os.path.basename(log)[:-4]
    for m in re.finditer(r'\] (\S+) rep \d+: ([\d.]+)s ', open(log).read()):
        walls[(tag, m.group(1))] = m.group(2)
for d in sorted(glob.glob(root + '/*-[0-9]/runs/*cauto')):
    tag = d.split('/')[-3]; name = os.path.basename(d)
    net = name.split('-')[0]; eng = 'async' if '-async-' in name else 'threaded'
    txt = open(d + '/rep1.log').read()
    dec = re.findall(r'-> (grow|cut|undo|drain) (\d+)', txt)
    print(f"{tag:6s} {net:5s} {eng:8s} {walls.get((tag, name), '?'):>6s} s  " + ' '.join(f"{a}{b}" for a, b in dec))
