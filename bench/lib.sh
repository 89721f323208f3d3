# Shared by the benchmark scripts (sourced, not run).

# subset MANIFEST N OUT: N utterances spread evenly over MANIFEST (all when
# N is 0 or more than it has), audio paths made absolute, written to OUT.
subset() {
    local manifest=$1 n=$2 out=$3 dir total
    dir=$(cd "$(dirname "$manifest")" && pwd)
    total=$(grep -c . "$manifest")
    awk -F'\t' -v OFS='\t' -v n="$n" -v total="$total" -v dir="$dir" '
        NF >= 3 {
            k++
            # take utterance k when it is the first at or after the next even step
            if (n > 0 && n < total && int((k - 1) * n / total) == int(k * n / total)) next
            if ($2 !~ /^\//) $2 = dir "/" $2
            print
        }' "$manifest" >"$out"
}

# samples_manifest OUT: the shipped samples as a manifest (absolute paths).
samples_manifest() {
    local root
    root=$(pwd)
    awk -F'\t' -v OFS='\t' -v root="$root" 'NF >= 2 { print $1, root "/samples/" $1, $2 }' \
        samples/transcripts.tsv >"$1"
}

# machine: one line naming the CPU, its cores, the time and the load.
machine() {
    local model cores load busy
    model=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
    cores=$(nproc)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    busy=$(pgrep -fc '^(/usr/bin/)?python3 training/train.py' || true)
    printf '%s, %s cores, %s, load average %s' "$model" "$cores" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$load"
    if [[ ${busy:-0} -gt 0 ]]; then printf ', %s model trainings running' "$busy"; fi
    printf '\n'
}

# need_packages PKG...: installs the Debian packages that are missing.
need_packages() {
    local missing=() p sudo=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    echo "installing ${missing[*]}" >&2
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
}
