#!/usr/bin/env python3
# Plots OcrOverload RSS series (the -rss.csv files) as one SVG: rss-plot.py OUT.svg TITLE LABEL=FILE.csv ...
# (benchmarks/results/ocr-overload-rss.svg and ocr-soak-rss.svg were made with it). No dependencies.
import csv, sys
# usage: rss-plot.py out.svg title label1=file1 label2=file2 ...
out, title = sys.argv[1], sys.argv[2]
series=[]
colors=['#d62728','#1f77b4','#2ca02c','#9467bd']
for i,arg in enumerate(sys.argv[3:]):
    label,path=arg.split('=',1)
    pts=[(int(r['t_ms'])/1000.0, float(r['rss_mb'])) for r in csv.DictReader(open(path))]
    series.append((label,pts,colors[i%len(colors)]))
W,H,L,R,T,B=760,380,70,20,40,50
xmax=max(p[0] for _,pts,_ in series for p in pts); ymax=max(p[1] for _,pts,_ in series for p in pts)*1.08
def X(x): return L+(W-L-R)*x/xmax
def Y(y): return H-B-(H-T-B)*y/ymax
s=[f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
   f'<rect width="{W}" height="{H}" fill="white"/>',f'<text x="{W/2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
   f'<line x1="{L}" y1="{H-B}" x2="{W-R}" y2="{H-B}" stroke="black"/>',f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H-B}" stroke="black"/>']
step=1000 if ymax>3000 else 500
for v in range(0,int(ymax)+1,step):
    s.append(f'<line x1="{L-4}" y1="{Y(v):.1f}" x2="{W-R}" y2="{Y(v):.1f}" stroke="#ddd"/><text x="{L-8}" y="{Y(v)+4:.1f}" text-anchor="end">{v}</text>')
xs=60 if xmax>300 else 30
for v in range(0,int(xmax)+1,xs):
    s.append(f'<text x="{X(v):.1f}" y="{H-B+16}" text-anchor="middle">{v}</text>')
s.append(f'<text x="{(L+W-R)/2}" y="{H-12}" text-anchor="middle">seconds since the service started</text>')
s.append(f'<text x="16" y="{(T+H-B)/2}" transform="rotate(-90 16 {(T+H-B)/2})" text-anchor="middle">resident memory (MB)</text>')
for i,(label,pts,c) in enumerate(series):
    d=' '.join(f'{X(x):.1f},{Y(y):.1f}' for x,y in pts)
    s.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{d}"/>')
    s.append(f'<rect x="{L+15}" y="{T+8+i*18}" width="14" height="3" fill="{c}"/><text x="{L+35}" y="{T+13+i*18}">{label}</text>')
s.append('</svg>')
open(out,'w').write('\n'.join(s))
