# SPDX-License-Identifier: GPL-2.0
#
# bench-chart.awk - the chart of `make bench`, drawn from its JSON.
#
#   awk -f scripts/bench-chart.awk BUILD/bench/svm.json >svm.svg
#
# A bar chart of the instructions one exit costs, for the four exit
# loops: one group per loop, thv above KVM, each bar labelled with its
# value.  It reads only the JSON, so a copy of LANE.json kept from an
# earlier run can be drawn again.  The JSON is the one
# scripts/bench-report.awk writes, one loop per block:
#
#     "cpuid": {
#       "what": "...", "iters": 1000,
#       "thv": { "ns": ..., "insns": 332.3, ... },
#       "kvm": { "ns": ..., "insns": 2960 },
#
# and the first lines carry "lane", "kernel" and "commit".

function fmt(x) {
	if (x >= 100)
		return sprintf("%.0f", x)
	if (x < 10)
		return sprintf("%.2f", x)
	return sprintf("%.1f", x)
}

# The value of "key" on this line ("" if it has none): a string without
# its quotes, or a number (null is "").
function field(key,    s) {
	if (!match($0, "\"" key "\": *(\"[^\"]*\"|[-+0-9.eE]+)"))
		return ""
	s = substr($0, RSTART, RLENGTH)
	sub(/^"[^"]*": */, "", s)
	gsub(/"/, "", s)
	return s
}

# A number ("1.2e+03" too) as a number, so that it compares as one.
function number(s) { return s == "" ? "" : s + 0 }

/^  "lane": /	{ lane = field("lane") }
/^  "kernel": /	{ kernel = field("kernel") }
/^  "commit": /	{ commit = field("commit") }
/^    "[a-z]+": \{$/ {
	l = $1
	gsub(/[":]/, "", l)
	order[++nloops] = l
}
/^      "thv": \{/	{ ins["thv", l] = number(field("insns")) }
/^      "kvm": \{/	{ ins["kvm", l] = number(field("insns")) }

END {
	if (nloops == 0) {
		print "bench-chart: " FILENAME ": no loops in it (not a make bench JSON?)" > "/dev/stderr"
		exit 1
	}
	max = 0
	for (n = 1; n <= nloops; n++) {
		l = order[n]
		if (l == "compute" || l == "create")
			continue
		ngroups++
		for (i = 0; i < 2; i++) {
			v = ins[i ? "kvm" : "thv", l]
			if (v != "" && v + 0 > max)
				max = v + 0
		}
	}
	if (max <= 0) {
		print "bench-chart: " FILENAME ": no instruction counts to draw" > "/dev/stderr"
		exit 1
	}
	x0 = 190; width = 480; barh = 18
	h = 60 + ngroups * (2 * barh + 22)
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" " \
		"height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n",
		h + 30
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	printf "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">" \
		"What one VM exit costs: instructions (%s)</text>\n",
		(lane == "svm" ? "SVM, QEMU -icount" : "VMX, Bochs")
	y = 44
	for (n = 1; n <= nloops; n++) {
		l = order[n]
		if (l == "compute" || l == "create")
			continue
		printf "<text x=\"10\" y=\"%d\">%s</text>\n", y + barh + 4, l
		for (i = 0; i < 2; i++) {
			v = ins[i ? "kvm" : "thv", l]
			w = v == "" ? 0 : v / max * width
			printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" " \
				"height=\"%d\" fill=\"%s\"/>\n", x0, y, w, barh,
				(i ? "#999999" : "#1f77b4")
			printf "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s %s" \
				"</text>\n", x0 + w + 6, y + 14, (i ? "KVM" : "thv"),
				(v == "" ? "n/a" : fmt(v))
			y += barh + 2
		}
		y += 18
	}
	printf "<text x=\"10\" y=\"%d\" font-size=\"11\" fill=\"#555\">" \
		"Host (L1) instructions per exit, guest loop included; " \
		"commit %s, Linux %s. Made by scripts/bench.sh.</text>\n",
		h + 14, commit, kernel
	print "</svg>"
}
