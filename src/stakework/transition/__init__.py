"""Pure, deterministic state transition. Functions take a BeaconState and change it in place, as the spec's do;
no clock, no I/O, no randomness but the chain's own RANDAO."""
