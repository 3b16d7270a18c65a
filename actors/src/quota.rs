//! Tenant quotas as a pure ledger: limits, what is held (reserved by approved tickets plus in
//! use), and whether a demand fits.

use serde::{Deserialize, Serialize};

/// Amounts of the five governed resources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub vcpu: i64,
    pub memory_gb: i64,
    pub storage_gb: i64,
    pub hosts: i64,
    pub public_ips: i64,
}

impl Resources {
    pub fn named(&self) -> [(&'static str, i64); 5] {
        [
            ("vcpu", self.vcpu),
            ("memory_gb", self.memory_gb),
            ("storage_gb", self.storage_gb),
            ("hosts", self.hosts),
            ("public_ips", self.public_ips),
        ]
    }

    fn zip(self, other: Resources, f: impl Fn(i64, i64) -> i64) -> Resources {
        Resources {
            vcpu: f(self.vcpu, other.vcpu),
            memory_gb: f(self.memory_gb, other.memory_gb),
            storage_gb: f(self.storage_gb, other.storage_gb),
            hosts: f(self.hosts, other.hosts),
            public_ips: f(self.public_ips, other.public_ips),
        }
    }

    pub fn plus(self, other: Resources) -> Resources {
        self.zip(other, i64::saturating_add)
    }

    /// Never below zero: releasing more than is held leaves nothing held.
    pub fn minus(self, other: Resources) -> Resources {
        self.zip(other, |a, b| a.saturating_sub(b).max(0))
    }

    pub fn is_zero(&self) -> bool {
        *self == Resources::default()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ledger {
    pub limit: Resources,
    pub held: Resources,
}

/// The first resource a demand does not fit in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub resource: &'static str,
    pub requested: i64,
    pub available: i64,
}

impl Ledger {
    pub fn available(&self) -> Resources {
        self.limit.minus(self.held)
    }

    pub fn check(&self, demand: Resources) -> Result<(), Shortfall> {
        let available = self.available();
        for ((resource, requested), (_, free)) in demand.named().into_iter().zip(available.named())
        {
            if requested > free {
                return Err(Shortfall {
                    resource,
                    requested,
                    available: free,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(vcpu: i64, memory_gb: i64, hosts: i64) -> Resources {
        Resources {
            vcpu,
            memory_gb,
            hosts,
            ..Resources::default()
        }
    }

    #[test]
    fn a_demand_fits_only_in_what_is_not_held() {
        let ledger = Ledger {
            limit: r(100, 400, 10),
            held: r(90, 100, 2),
        };
        let table = [
            (r(10, 0, 0), Ok(())),
            (
                r(11, 0, 0),
                Err(Shortfall {
                    resource: "vcpu",
                    requested: 11,
                    available: 10,
                }),
            ),
            (
                r(1, 301, 1),
                Err(Shortfall {
                    resource: "memory_gb",
                    requested: 301,
                    available: 300,
                }),
            ),
            (r(0, 0, 8), Ok(())),
            (
                r(0, 0, 9),
                Err(Shortfall {
                    resource: "hosts",
                    requested: 9,
                    available: 8,
                }),
            ),
        ];
        for (demand, expected) in table {
            assert_eq!(ledger.check(demand), expected, "{demand:?}");
        }
    }

    #[test]
    fn over_held_ledgers_have_nothing_available() {
        let ledger = Ledger {
            limit: r(10, 10, 1),
            held: r(12, 0, 0),
        };
        assert_eq!(ledger.available().vcpu, 0);
        assert_eq!(r(5, 5, 5).minus(r(9, 1, 0)), r(0, 4, 5));
    }
}
