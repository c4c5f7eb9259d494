// Test-only stand-in for CUB (see ../ne_cuda_emu.h): the DeviceRadixSort calls nativeext's .cu
// files make, with CUB's contract kept where a caller could get it wrong:
// - two phases: d_temp_storage == nullptr only reports temp_storage_bytes; a second call with
//   fewer bytes than reported fails (cudaErrorInvalidValue) instead of sorting;
// - the temp storage is scribbled over (0xA5) as the real sort would use it, so a workspace
//   layout that overlaps it with live data is caught;
// - a radix sort is stable and orders by bits [begin_bit, end_bit) of the key only (the other
//   bits are ignored, not compared), ascending as unsigned for unsigned keys.
#ifndef NE_CUDA_EMU_CUB_CUH
#define NE_CUDA_EMU_CUB_CUH

#include "../ne_cuda_emu.h"

#include <algorithm>
#include <numeric>
#include <type_traits>
#include <vector>

namespace cub {

namespace detail {

// What the emulated sort claims to need: a scratch copy of keys and values plus a fixed header,
// like CUB's (the exact figure does not matter, only that callers honour it).
template <class K, class V>
size_t temp_bytes(long long n) {
    return 1024 + (size_t) (n > 0 ? n : 0) * (sizeof(K) + sizeof(V)) * 2;
}

// Radix digit order of a key: unsigned integers as they are; signed integers and floating point
// through CUB's "twiddle" so that bit order equals value order.
template <class K>
unsigned long long radix_bits(K k) {
    static_assert(sizeof(K) <= 8, "key size");
    unsigned long long u = 0;
    memcpy(&u, &k, sizeof(K));
    const unsigned long long top = 1ull << (sizeof(K) * 8 - 1);
    if (std::is_floating_point<K>::value) {
        const unsigned long long all = sizeof(K) == 8 ? ~0ull : ((1ull << (sizeof(K) * 8)) - 1);
        u = (u & top) ? (~u & all) : (u | top);
    } else if (std::is_signed<K>::value) {
        u ^= top;
    }
    return u;
}

template <class K, class V>
cudaError_t sort(void* temp, size_t& temp_bytes_, const K* keys_in, K* keys_out, const V* vals_in, V* vals_out,
                 long long n, int begin_bit, int end_bit, bool descending) {
    const size_t need = temp_bytes<K, V>(n);
    if (temp == nullptr) {
        temp_bytes_ = need;
        return cudaSuccess;
    }
    if (temp_bytes_ < need || n < 0 || begin_bit < 0 || end_bit > (int) sizeof(K) * 8 || begin_bit > end_bit)
        return ne_emu::fail(cudaErrorInvalidValue);
    if (n == 0) return cudaSuccess;
    const int width = end_bit - begin_bit;
    const unsigned long long mask = width >= 64 ? ~0ull : ((1ull << width) - 1);
    std::vector<unsigned long long> digit((size_t) n);
    std::vector<long long> order((size_t) n);
    std::vector<K> k((size_t) n);
    std::vector<V> v(vals_in ? (size_t) n : 0);
    for (long long i = 0; i < n; i++) {
        k[i] = keys_in[i];
        if (vals_in) v[i] = vals_in[i];
        digit[i] = (radix_bits(keys_in[i]) >> begin_bit) & mask;
    }
    memset(temp, 0xA5, temp_bytes_);  // the real sort writes its scratch here
    std::iota(order.begin(), order.end(), 0LL);
    std::stable_sort(order.begin(), order.end(), [&](long long a, long long b) {
        return descending ? digit[b] < digit[a] : digit[a] < digit[b];
    });
    for (long long i = 0; i < n; i++) {
        keys_out[i] = k[order[i]];
        if (vals_out && vals_in) vals_out[i] = v[order[i]];
    }
    return cudaSuccess;
}

struct NullValue {};

}  // namespace detail

struct DeviceRadixSort {
    template <class K, class V, class N>
    static cudaError_t SortPairs(void* temp, size_t& bytes, const K* keys_in, K* keys_out, const V* vals_in, V* vals_out,
                                 N num_items, int begin_bit = 0, int end_bit = sizeof(K) * 8, cudaStream_t = 0) {
        return detail::sort(temp, bytes, keys_in, keys_out, vals_in, vals_out, (long long) num_items, begin_bit, end_bit, false);
    }
    template <class K, class V, class N>
    static cudaError_t SortPairsDescending(void* temp, size_t& bytes, const K* keys_in, K* keys_out, const V* vals_in,
                                           V* vals_out, N num_items, int begin_bit = 0, int end_bit = sizeof(K) * 8,
                                           cudaStream_t = 0) {
        return detail::sort(temp, bytes, keys_in, keys_out, vals_in, vals_out, (long long) num_items, begin_bit, end_bit, true);
    }
    template <class K, class N>
    static cudaError_t SortKeys(void* temp, size_t& bytes, const K* keys_in, K* keys_out, N num_items, int begin_bit = 0,
                                int end_bit = sizeof(K) * 8, cudaStream_t = 0) {
        return detail::sort(temp, bytes, keys_in, keys_out, (const detail::NullValue*) nullptr, (detail::NullValue*) nullptr,
                            (long long) num_items, begin_bit, end_bit, false);
    }
    template <class K, class N>
    static cudaError_t SortKeysDescending(void* temp, size_t& bytes, const K* keys_in, K* keys_out, N num_items,
                                          int begin_bit = 0, int end_bit = sizeof(K) * 8, cudaStream_t = 0) {
        return detail::sort(temp, bytes, keys_in, keys_out, (const detail::NullValue*) nullptr, (detail::NullValue*) nullptr,
                            (long long) num_items, begin_bit, end_bit, true);
    }
};

}  // namespace cub

#endif
