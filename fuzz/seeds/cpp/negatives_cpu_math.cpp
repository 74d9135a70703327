// Host-only math using <cmath>; names overlap CUDA device math but are std C.
#include <cmath>
#include <cstdlib>
#include <vector>

float softplus(float x) { return std::log1p(expf(x)); }

float gelu_tanh(float x) {
    const float k = 0.7978845608f;
    return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        worst = std::fmax(worst, fabs(a[i] - b[i]));
    }
    return worst;
}

int manhattan(int x0, int y0, int x1, int y1) {
    return abs(x1 - x0) + abs(y1 - y0);
}

float wave(float t) { return sinf(t) * cosf(t) + sqrtf(std::fabs(t)) + powf(t, 2.0f); }
