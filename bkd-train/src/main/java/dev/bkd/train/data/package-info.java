/**
 * Captioned image datasets (Hugging Face imagefolder with metadata.jsonl / metadata.csv or sidecar .txt
 * captions): reading, checking, resizing and the epoch sampler.
 *
 * <p>Internal: not part of bkd's public API (README, "Public API"); it may change in any release.
 */
package dev.bkd.train.data;
