//! placeholder until the retry policy lands
