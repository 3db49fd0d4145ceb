//! Per-flow state kept on the control plane (a flow's name, its detection and AI
//! context), keyed by flow id and bounded. An entry normally leaves when its flow's end
//! record arrives; when the workers outrun the control plane, records are dropped (and
//! counted), an end record among them, and its entry would stay forever. So each map
//! has two generations: when the current one is full it becomes the old one and the
//! previous old one, flows not heard of for a whole generation, is let go.

use std::collections::HashMap;

/// Entries per generation: flows in flight on a busy sensor, with room to spare.
pub const GENERATION: usize = 1 << 20;

/// A bounded map from flow id to per-flow state (at most two generations of entries).
#[derive(Debug, Clone)]
pub struct FlowMap<V> {
    cur: HashMap<u64, V>,
    old: HashMap<u64, V>,
    cap: usize,
    /// Entries let go with a generation (their flow's end never arrived).
    pub forgotten: u64,
}

impl<V> Default for FlowMap<V> {
    fn default() -> Self {
        FlowMap::with_generation(GENERATION)
    }
}

impl<V> FlowMap<V> {
    /// A map whose generations hold `cap` entries (at least 1).
    pub fn with_generation(cap: usize) -> Self {
        FlowMap {
            cur: HashMap::new(),
            old: HashMap::new(),
            cap: cap.max(1),
            forgotten: 0,
        }
    }

    fn make_room(&mut self) {
        if self.cur.len() >= self.cap {
            self.forgotten += self.old.len() as u64;
            self.old = std::mem::take(&mut self.cur);
        }
    }

    /// The entry of `id`, made with `make` when absent (an old one moves to the current
    /// generation).
    pub fn get_or_insert_with(&mut self, id: u64, make: impl FnOnce() -> V) -> &mut V {
        if !self.cur.contains_key(&id) {
            let v = self.old.remove(&id).unwrap_or_else(make);
            self.make_room();
            self.cur.insert(id, v);
        }
        self.cur.get_mut(&id).expect("just inserted")
    }

    /// Sets the entry of `id`.
    pub fn insert(&mut self, id: u64, v: V) {
        self.old.remove(&id);
        if !self.cur.contains_key(&id) {
            self.make_room();
        }
        self.cur.insert(id, v);
    }

    pub fn get(&self, id: &u64) -> Option<&V> {
        self.cur.get(id).or_else(|| self.old.get(id))
    }

    pub fn contains_key(&self, id: &u64) -> bool {
        self.cur.contains_key(id) || self.old.contains_key(id)
    }

    pub fn remove(&mut self, id: &u64) -> Option<V> {
        self.cur.remove(id).or_else(|| self.old.remove(id))
    }

    pub fn len(&self) -> usize {
        self.cur.len() + self.old.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::FlowMap;

    #[test]
    fn flows_whose_end_never_comes_are_let_go() {
        let mut m = FlowMap::with_generation(100);
        // Flow 0 keeps being heard of; flows 1.. start and their end is lost.
        for id in 1..=1000u64 {
            *m.get_or_insert_with(0, || 0u32) += 1;
            m.insert(id, 1);
        }
        assert!(m.len() <= 200, "{}", m.len());
        assert!(m.forgotten >= 700);
        // The flow still heard of kept its state.
        assert_eq!(m.get(&0), Some(&1000));
        // An entry whose end arrives leaves at once.
        assert_eq!(m.remove(&1000), Some(1));
        assert!(!m.contains_key(&1000));
    }
}
