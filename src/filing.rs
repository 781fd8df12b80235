//! A filing record (备案) as the provider keeps it: the subject, the website, its domains.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Filing state at this provider (design §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilingStatus {
    /// 正常
    Active,
    /// 取消接入
    AccessCancelled,
    /// 注销
    Deregistered,
}

impl FilingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FilingStatus::Active => "active",
            FilingStatus::AccessCancelled => "access_cancelled",
            FilingStatus::Deregistered => "deregistered",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            FilingStatus::Active => "正常",
            FilingStatus::AccessCancelled => "取消接入",
            FilingStatus::Deregistered => "注销",
        }
    }

    /// Accepts the English and the Chinese spelling (design §4.2).
    pub fn parse(s: &str) -> Option<FilingStatus> {
        match s.trim() {
            "" | "active" | "正常" => Some(FilingStatus::Active),
            "access_cancelled" | "取消接入" => Some(FilingStatus::AccessCancelled),
            "deregistered" | "注销" => Some(FilingStatus::Deregistered),
            _ => None,
        }
    }
}

/// One website filing: the unit beiand checks and tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    /// Normalised website number, e.g. `京ICP备12345678号-3`.
    pub site_number: String,
    /// Normalised subject number, e.g. `京ICP备12345678号`.
    pub subject_number: String,
    pub site_name: String,
    pub subject_name: Option<String>,
    pub subject_nature: Option<String>,
    /// Lower-case domain names, without trailing dot.
    pub domains: Vec<String>,
    pub filed_ips: Vec<IpAddr>,
    /// Normalised public-security number, e.g. `京公网安备11010802020134号`.
    pub psb_number: Option<String>,
    pub status: FilingStatus,
    pub province: Option<String>,
    pub homepage: Option<String>,
}
