//! A streaming FNV-1a hash over exact bit patterns, for state hashes.
//!
//! State hashes prove bit-for-bit determinism, so they hash the raw bits of
//! every float (not a rounded printout) in a fixed order.

#[derive(Debug, Clone)]
pub struct StateHasher {
    h: u64,
}

impl Default for StateHasher {
    fn default() -> Self {
        Self {
            h: 0xcbf2_9ce4_8422_2325,
        }
    }
}

impl StateHasher {
    pub fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.h ^= *b as u64;
            self.h = self.h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn f32(&mut self, v: f32) {
        self.bytes(&v.to_bits().to_le_bytes());
    }

    pub fn vec3(&mut self, v: glam::Vec3) {
        self.f32(v.x);
        self.f32(v.y);
        self.f32(v.z);
    }

    pub fn quat(&mut self, q: glam::Quat) {
        self.f32(q.x);
        self.f32(q.y);
        self.f32(q.z);
        self.f32(q.w);
    }

    pub fn finish(&self) -> u64 {
        self.h
    }

    /// Fixed-width hex, the form reports and traces carry.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_negative_zero_and_order() {
        let mut a = StateHasher::default();
        a.f32(0.0);
        let mut b = StateHasher::default();
        b.f32(-0.0);
        assert_ne!(a.finish(), b.finish());

        let mut c = StateHasher::default();
        c.u64(1);
        c.u64(2);
        let mut d = StateHasher::default();
        d.u64(2);
        d.u64(1);
        assert_ne!(c.finish(), d.finish());
        assert_eq!(c.hex().len(), 16);
    }
}
