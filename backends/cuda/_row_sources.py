"""CUDA C++ source of the row-wise RawKernels (one block per row, warp-shuffle reductions).

Kept apart from backends/cuda/kernels.py (which defines every kernel and its fallback) only for length.
Entry points are ``extern "C"`` per float type: eg_softmax_f32/_f64, eg_softmax_bwd_f32/_f64, eg_xent_f32/_f64.
"""

from __future__ import annotations

ROW_HELPERS = r"""
__device__ __forceinline__ float eg_exp(float v) { return expf(v); }
__device__ __forceinline__ double eg_exp(double v) { return exp(v); }
__device__ __forceinline__ float eg_log(float v) { return logf(v); }
__device__ __forceinline__ double eg_log(double v) { return log(v); }
__device__ __forceinline__ float eg_neg_inf(float) { return __int_as_float(0xff800000); }
__device__ __forceinline__ double eg_neg_inf(double) { return __longlong_as_double(0xfff0000000000000ULL); }
// NaN-propagating max, as NumPy's max is
__device__ __forceinline__ float eg_max(float a, float b) { return (a != a || a > b) ? a : b; }
__device__ __forceinline__ double eg_max(double a, double b) { return (a != a || a > b) ? a : b; }

template <typename T, bool MAX>
__device__ T eg_block_reduce(T v, T* shared) {
    for (int off = 16; off > 0; off >>= 1) {
        T o = __shfl_xor_sync(0xffffffffu, v, off);
        v = MAX ? eg_max(v, o) : v + o;
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    __syncthreads();  // shared may still be read by a previous reduction
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < nwarps ? shared[lane] : (MAX ? eg_neg_inf(v) : (T)0);
        for (int off = 16; off > 0; off >>= 1) {
            T o = __shfl_xor_sync(0xffffffffu, v, off);
            v = MAX ? eg_max(v, o) : v + o;
        }
        if (lane == 0) shared[0] = v;
    }
    __syncthreads();
    return shared[0];
}
"""

SOFTMAX_SRC = (
    ROW_HELPERS
    + r"""
template <typename T>
__device__ void eg_softmax_row(const T* x, T* y, int rows, int cols, int log_mode) {
    __shared__ T shared[32];
    const long long row = blockIdx.x;
    if (row >= rows) return;
    const T* xr = x + row * cols;
    T* yr = y + row * cols;
    T m = eg_neg_inf(T(0));
    for (int j = threadIdx.x; j < cols; j += blockDim.x) m = eg_max(m, xr[j]);
    m = eg_block_reduce<T, true>(m, shared);
    T s = 0;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += eg_exp(xr[j] - m);
    s = eg_block_reduce<T, false>(s, shared);
    if (log_mode) {
        const T ls = eg_log(s);
        for (int j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = (xr[j] - m) - ls;
    } else {
        for (int j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = eg_exp(xr[j] - m) / s;
    }
}

template <typename T>
__device__ void eg_softmax_bwd_row(const T* g, const T* y, T* gx, int rows, int cols, int log_mode) {
    __shared__ T shared[32];
    const long long row = blockIdx.x;
    if (row >= rows) return;
    const T* gr = g + row * cols;
    const T* yr = y + row * cols;
    T* out = gx + row * cols;
    T s = 0;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += log_mode ? gr[j] : gr[j] * yr[j];
    s = eg_block_reduce<T, false>(s, shared);
    for (int j = threadIdx.x; j < cols; j += blockDim.x)
        out[j] = log_mode ? gr[j] - eg_exp(yr[j]) * s : yr[j] * (gr[j] - s);
}

extern "C" __global__ void eg_softmax_f32(const float* x, float* y, int rows, int cols, int log_mode) {
    eg_softmax_row<float>(x, y, rows, cols, log_mode);
}
extern "C" __global__ void eg_softmax_f64(const double* x, double* y, int rows, int cols, int log_mode) {
    eg_softmax_row<double>(x, y, rows, cols, log_mode);
}
extern "C" __global__ void eg_softmax_bwd_f32(const float* g, const float* y, float* gx, int rows, int cols,
                                              int log_mode) {
    eg_softmax_bwd_row<float>(g, y, gx, rows, cols, log_mode);
}
extern "C" __global__ void eg_softmax_bwd_f64(const double* g, const double* y, double* gx, int rows,
                                              int cols, int log_mode) {
    eg_softmax_bwd_row<double>(g, y, gx, rows, cols, log_mode);
}
"""
)


XENT_SRC = (
    ROW_HELPERS
    + r"""
// per row (sample): logp = log_softmax(x); loss = -logp[t] * w (+ label smoothing); wt = w
template <typename T>
__device__ void eg_xent_row(const T* x, const long long* target, const T* weight, T* logp, T* loss, T* wt,
                            int rows, int cols, long long ignore, T oml, T lsc, int has_weight) {
    __shared__ T shared[32];
    const long long row = blockIdx.x;
    if (row >= rows) return;
    const T* xr = x + row * cols;
    T* lr = logp + row * cols;
    T m = eg_neg_inf(T(0));
    for (int j = threadIdx.x; j < cols; j += blockDim.x) m = eg_max(m, xr[j]);
    m = eg_block_reduce<T, true>(m, shared);
    T s = 0;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += eg_exp(xr[j] - m);
    s = eg_block_reduce<T, false>(s, shared);
    const T ls = eg_log(s);
    T acc = 0;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        const T v = (xr[j] - m) - ls;
        lr[j] = v;
        acc += has_weight ? v * weight[j] : v;
    }
    if (lsc != (T)0) acc = eg_block_reduce<T, false>(acc, shared);
    if (threadIdx.x == 0) {
        const long long t = target[row];
        const bool valid = t != ignore;
        const long long tt = valid ? t : 0;
        T l;
        T w = 0;
        if (tt < 0 || tt >= cols) {
            l = (T)0 / (T)0;  // out of range: NaN rather than a wild read (the caller validates)
        } else {
            w = valid ? (has_weight ? weight[tt] : (T)1) : (T)0;
            l = valid ? -((xr[tt] - m) - ls) * w : (T)0;
            if (lsc != (T)0) l = oml * l + (valid ? -acc : (T)0) * lsc;
        }
        loss[row] = l;
        wt[row] = w;
    }
}

extern "C" __global__ void eg_xent_f32(const float* x, const long long* target, const float* weight,
                                       float* logp, float* loss, float* wt, int rows, int cols,
                                       long long ignore, float oml, float lsc, int has_weight) {
    eg_xent_row<float>(x, target, weight, logp, loss, wt, rows, cols, ignore, oml, lsc, has_weight);
}
extern "C" __global__ void eg_xent_f64(const double* x, const long long* target, const double* weight,
                                       double* logp, double* loss, double* wt, int rows, int cols,
                                       long long ignore, double oml, double lsc, int has_weight) {
    eg_xent_row<double>(x, target, weight, logp, loss, wt, rows, cols, ignore, oml, lsc, has_weight);
}
"""
)
