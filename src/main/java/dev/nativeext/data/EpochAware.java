package dev.nativeext.data;

/**
 * A dataset whose random transforms depend on the epoch (as {@code DistributedSampler.set_epoch}
 * in PyTorch): the {@link DataLoader} calls {@link #setEpoch} before each epoch's first sample,
 * so that a seeded flip differs between epochs yet is the same for any number of workers.
 */
public interface EpochAware {
    void setEpoch(int epoch);
}
