/* Kaldi-compatible MFCC of one frame (compute-mfcc-feats with use_energy
 * false, dither 0, snip_edges true), checked against
 * torchaudio.compliance.kaldi.mfcc in tests/test_mfcc.c. */
#include "frontend.h"

#include "error.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <kissfft/kiss_fftr.h>

struct asr_mfcc {
    int frame_length, frame_shift, fft_length;
    int num_bins, num_ceps;
    float preemph;
    float *window;      /* frame_length povey window */
    int *bin_first;     /* per mel bin: first FFT bin with a nonzero weight */
    int *bin_count;     /* ... and how many follow */
    float *bin_weights; /* all bins' weights, back to back */
    float *dct;         /* num_ceps x num_bins, lifter folded in */
    kiss_fftr_cfg fft;
    float *fft_in; /* fft_length: the frame, then zeros that stay zero */
    kiss_fft_cpx *spectrum;
    float *power, *log_mel;
};

static double mel_scale(double hz) {
    return 1127.0 * log(1.0 + hz / 700.0);
}

/* Kaldi's MelBanks: triangles equally spaced on the mel scale over the FFT
 * bins below Nyquist; an empty triangle is an error as in Kaldi. */
static asr_status build_mel_bank(asr_mfcc *m, const asr_feature_config *c) {
    double nyquist = 0.5 * c->sample_rate;
    double low = c->low_freq;
    double high = c->high_freq <= 0 ? c->high_freq + nyquist : c->high_freq;
    if (!(low >= 0 && low < nyquist && high > 0 && high <= nyquist && low < high))
        return asr_error(ASR_ERR_ARG, "mfcc: bad low_freq %g / high_freq %g for Nyquist %g",
                         c->low_freq, c->high_freq, nyquist);
    int num_fft_bins = m->fft_length / 2;
    double bin_width = (double)c->sample_rate / m->fft_length;
    double mel_low = mel_scale(low);
    double delta = (mel_scale(high) - mel_low) / (m->num_bins + 1);

    m->bin_first = malloc(sizeof *m->bin_first * (size_t)m->num_bins);
    m->bin_count = calloc((size_t)m->num_bins, sizeof *m->bin_count);
    /* Neighbouring triangles overlap by half, so each FFT bin is in at most two. */
    m->bin_weights = malloc(sizeof *m->bin_weights * 2 * (size_t)num_fft_bins);
    if (!m->bin_first || !m->bin_count || !m->bin_weights)
        return asr_error(ASR_ERR_NOMEM, "mfcc: out of memory");
    size_t used = 0;
    for (int b = 0; b < m->num_bins; b++) {
        double left = mel_low + b * delta, center = left + delta, right = center + delta;
        m->bin_first[b] = -1;
        for (int k = 0; k < num_fft_bins; k++) {
            double mel = mel_scale(bin_width * k);
            if (!(mel > left && mel < right)) continue;
            double w =
                mel <= center ? (mel - left) / (center - left) : (right - mel) / (right - center);
            if (m->bin_first[b] < 0) m->bin_first[b] = k;
            m->bin_count[b]++;
            m->bin_weights[used++] = (float)w;
        }
        if (m->bin_count[b] == 0)
            return asr_error(ASR_ERR_ARG,
                             "mfcc: mel bin %d is empty (num_mel_bins %d too large for a "
                             "%d-point FFT)",
                             b, m->num_bins, m->fft_length);
    }
    return ASR_OK;
}

/* Kaldi's DCT-II (row 0 scaled sqrt(1/N), the others sqrt(2/N)) times the
 * cepstral lifter 1 + L/2 sin(pi i / L). */
static void build_dct(asr_mfcc *m, double lifter) {
    int n = m->num_bins;
    for (int i = 0; i < m->num_ceps; i++) {
        double scale = sqrt((i == 0 ? 1.0 : 2.0) / n);
        if (lifter != 0) scale *= 1.0 + 0.5 * lifter * sin(M_PI * i / lifter);
        for (int j = 0; j < n; j++)
            m->dct[(size_t)i * n + j] = (float)(scale * cos(M_PI / n * (j + 0.5) * i));
    }
}

static int finite_in(double v, double lo, double hi) {
    return isfinite(v) && v >= lo && v <= hi;
}

asr_mfcc *asr_mfcc_new(const asr_feature_config *c) {
    if (!c) return asr_error_null(ASR_ERR_ARG, "mfcc: config is NULL");
    if (c->sample_rate < 1000 || c->sample_rate > 384000)
        return asr_error_null(ASR_ERR_ARG, "mfcc: sample_rate %d outside 1000..384000",
                              c->sample_rate);
    /* A frame over a second is no longer short-time analysis (and keeps the
     * sample count far from int overflow). */
    if (!finite_in(c->frame_length_ms, 1e-3, 1000))
        return asr_error_null(ASR_ERR_ARG, "mfcc: frame_length_ms %g outside (0, 1000]",
                              c->frame_length_ms);
    if (!finite_in(c->frame_shift_ms, 1e-3, c->frame_length_ms))
        return asr_error_null(ASR_ERR_ARG,
                              "mfcc: frame_shift_ms %g must be > 0 and <= frame_length_ms %g",
                              c->frame_shift_ms, c->frame_length_ms);
    /* Kaldi's (truncating) conversion of milliseconds to samples. */
    int length = (int)(c->sample_rate * 0.001 * c->frame_length_ms);
    int shift = (int)(c->sample_rate * 0.001 * c->frame_shift_ms);
    if (length < 2 || shift < 1)
        return asr_error_null(ASR_ERR_ARG,
                              "mfcc: frame of %d samples / shift of %d samples too short", length,
                              shift);
    int fft_length = 2;
    while (fft_length < length)
        fft_length *= 2;
    if (c->num_mel_bins < 3 || c->num_mel_bins > fft_length / 2)
        return asr_error_null(ASR_ERR_ARG, "mfcc: num_mel_bins %d outside 3..%d", c->num_mel_bins,
                              fft_length / 2);
    if (c->num_ceps < 1 || c->num_ceps > c->num_mel_bins)
        return asr_error_null(ASR_ERR_ARG, "mfcc: num_ceps %d outside 1..num_mel_bins (%d)",
                              c->num_ceps, c->num_mel_bins);
    if (!finite_in(c->preemph, 0, 1))
        return asr_error_null(ASR_ERR_ARG, "mfcc: preemph %g outside [0, 1]", c->preemph);
    if (!finite_in(c->cepstral_lifter, 0, FLT_MAX))
        return asr_error_null(ASR_ERR_ARG, "mfcc: cepstral_lifter %g must be >= 0",
                              c->cepstral_lifter);
    if (!isfinite(c->low_freq) || !isfinite(c->high_freq))
        return asr_error_null(ASR_ERR_ARG, "mfcc: low_freq / high_freq not finite");

    asr_mfcc *m = calloc(1, sizeof *m);
    if (!m) return asr_error_null(ASR_ERR_NOMEM, "mfcc: out of memory");
    m->frame_length = length;
    m->frame_shift = shift;
    m->fft_length = fft_length;
    m->num_bins = c->num_mel_bins;
    m->num_ceps = c->num_ceps;
    m->preemph = c->preemph;
    if (build_mel_bank(m, c) != ASR_OK) {
        asr_mfcc_free(m);
        return NULL;
    }
    m->window = malloc(sizeof *m->window * (size_t)length);
    m->dct = malloc(sizeof *m->dct * (size_t)m->num_ceps * (size_t)m->num_bins);
    m->fft = kiss_fftr_alloc(fft_length, 0, NULL, NULL);
    m->fft_in = calloc((size_t)fft_length, sizeof *m->fft_in);
    m->spectrum = malloc(sizeof *m->spectrum * (size_t)(fft_length / 2 + 1));
    m->power = malloc(sizeof *m->power * (size_t)(fft_length / 2));
    m->log_mel = malloc(sizeof *m->log_mel * (size_t)m->num_bins);
    if (!m->window || !m->dct || !m->fft || !m->fft_in || !m->spectrum || !m->power ||
        !m->log_mel) {
        asr_mfcc_free(m);
        return asr_error_null(ASR_ERR_NOMEM, "mfcc: out of memory");
    }
    for (int i = 0; i < length; i++)
        m->window[i] = (float)pow(0.5 - 0.5 * cos(2 * M_PI * i / (length - 1)), 0.85);
    build_dct(m, c->cepstral_lifter);
    return m;
}

void asr_mfcc_free(asr_mfcc *m) {
    if (!m) return;
    free(m->window);
    free(m->bin_first);
    free(m->bin_count);
    free(m->bin_weights);
    free(m->dct);
    kiss_fftr_free(m->fft);
    free(m->fft_in);
    free(m->spectrum);
    free(m->power);
    free(m->log_mel);
    free(m);
}

int asr_mfcc_frame_length(const asr_mfcc *m) {
    return m->frame_length;
}

int asr_mfcc_frame_shift(const asr_mfcc *m) {
    return m->frame_shift;
}

void asr_mfcc_compute(asr_mfcc *m, const float *frame, float *ceps) {
    int n = m->frame_length;
    float *x = m->fft_in;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += frame[i];
    float mean = (float)(sum / n);
    for (int i = 0; i < n; i++)
        x[i] = frame[i] - mean;
    /* Back to front so that x[i - 1] is still unemphasised; Kaldi treats
     * the sample before the frame as x[0]. */
    for (int i = n - 1; i > 0; i--)
        x[i] -= m->preemph * x[i - 1];
    x[0] -= m->preemph * x[0];
    for (int i = 0; i < n; i++)
        x[i] *= m->window[i];
    kiss_fftr(m->fft, x, m->spectrum);

    /* The Nyquist bin has no mel weight, so it is never needed. */
    for (int k = 0; k < m->fft_length / 2; k++)
        m->power[k] = m->spectrum[k].r * m->spectrum[k].r + m->spectrum[k].i * m->spectrum[k].i;
    const float *w = m->bin_weights;
    for (int b = 0; b < m->num_bins; b++) {
        const float *p = m->power + m->bin_first[b];
        float energy = 0;
        for (int k = 0; k < m->bin_count[b]; k++)
            energy += w[k] * p[k];
        w += m->bin_count[b];
        m->log_mel[b] = logf(energy > FLT_EPSILON ? energy : FLT_EPSILON);
    }
    for (int i = 0; i < m->num_ceps; i++) {
        const float *row = m->dct + (size_t)i * m->num_bins;
        float acc = 0;
        for (int j = 0; j < m->num_bins; j++)
            acc += row[j] * m->log_mel[j];
        ceps[i] = acc;
    }
}
