//! What a rectification notice (整改通知) says about each finding code: the problem in one line,
//! the notice text, the likely cause, the suggested fix, and the article of the Measures
//! (《非经营性互联网信息服务备案管理办法》, 信息产业部令第33号) where one applies — in the
//! project's own words. Codes without a fitting article carry none rather than a stretched one.

use crate::finding::{Category, Code};
use serde::Serialize;

/// The legal basis of a notice: which articles, and what they say in short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Basis {
    /// e.g. `《非经营性互联网信息服务备案管理办法》第十三条、第二十五条`
    pub articles: &'static str,
    /// What the articles require, paraphrased.
    pub summary: &'static str,
}

/// Everything a notice says about one finding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub code: Code,
    pub category: Category,
    /// The problem in a few words, for tables.
    pub title: &'static str,
    /// The notice text addressed to the customer.
    pub text: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
    pub basis: Option<Basis>,
}

const MEASURES: &str = "《非经营性互联网信息服务备案管理办法》";

const ART_13_25: Basis = Basis {
    articles: "《非经营性互联网信息服务备案管理办法》第十三条、第二十五条",
    summary: "第十三条要求网站开通时在主页底部中央位置标明备案编号，并在编号下方链接工业和信息化部备案管理系统网址，供公众查询核对；第二十五条规定违反者由省通信管理局责令改正，并处五千元以上一万元以下罚款。",
};

const ART_14: Basis = Basis {
    articles: "《非经营性互联网信息服务备案管理办法》第十四条",
    summary: "备案有效期内《备案登记表》中填报的信息（含接入服务商、网站IP地址、网站名称等）需要变更的，应当提前三十日通过备案管理系统办理备案变更手续。",
};

const ART_19: Basis = Basis {
    articles: "《非经营性互联网信息服务备案管理办法》第十九条",
    summary: "第十九条规定互联网接入服务提供者应当记录其接入的网站的备案信息。域名无法解析或只解析到非公网地址时，接入商无法核实所记录的接入信息是否准确。",
};

const ART_5_18: Basis = Basis {
    articles: "《非经营性互联网信息服务备案管理办法》第五条、第十八条（罚则见第二十三条、第二十四条）",
    summary: "第五条规定未经备案不得在境内从事非经营性互联网信息服务；第十八条规定接入服务提供者不得为未经备案的网站提供接入服务。违者分别依第二十三条、第二十四条处罚。",
};

/// The notice for a customer finding code; `None` for `scan.inconclusive`, which never becomes
/// a notice.
pub fn notice(code: Code) -> Option<Notice> {
    let category = code.category()?;
    let (title, text, cause, fix, basis) = match code {
        Code::DnsUnresolved => (
            "域名解析关闭",
            "经核查，该网站已备案的域名当前无法解析到任何地址（域名不存在或没有A/AAAA记录），无法确认网站仍在本接入商处接入。",
            "域名解析记录被删除或暂停，域名已过期，或更换DNS服务商时未迁移解析记录。",
            "如网站仍在使用，请恢复该域名指向本接入商境内服务器的解析；如网站已停止使用，请申请取消接入或注销备案。",
            Some(ART_19),
        ),
        Code::DnsOtherProvider => (
            "解析至其他接入商",
            "经核查，该网站域名解析到中国境内其他服务商的IP地址，与在本接入商处的备案接入信息不符。",
            "网站已迁移到其他云服务商或服务器，但备案接入信息未随之变更。",
            "如网站仍由本接入商提供接入，请将解析改回本接入商境内服务器；如已迁移，请在新接入商处办理备案变更（新增接入），并在本接入商处取消接入。",
            Some(ART_14),
        ),
        Code::DnsOverseas => (
            "解析至境外地址",
            "经核查，该网站域名解析到中国大陆境外（含香港、澳门、台湾地区）的IP地址，与境内备案接入信息不符。",
            "网站使用了境外服务器、境外CDN或境外地域的云资源，或解析线路配置错误。",
            "请将该域名解析到本接入商中国大陆境内的服务器；如网站确需在境外运营，请申请取消本接入商的备案接入。",
            Some(ART_14),
        ),
        Code::DnsFiledIpMismatch => (
            "解析IP与备案IP不符",
            "经核查，该网站域名解析到的本接入商IP地址不在备案登记的网站IP地址之列。",
            "更换了服务器或弹性公网IP后，未同步更新备案信息中的网站IP地址。",
            "请将解析改回备案登记的IP地址，或通过备案管理系统办理备案变更，更新网站IP地址。",
            Some(ART_14),
        ),
        Code::DnsNonPublic => (
            "解析至非公网地址",
            "经核查，该网站域名解析到内网、回环或保留地址，公众无法访问，无法核实接入情况。",
            "解析记录误填了内网地址（如10.x、192.168.x、127.x），或测试用的解析未删除。",
            "请将该域名解析改为本接入商境内服务器的公网IP地址，并删除指向内网地址的记录。",
            Some(ART_19),
        ),
        Code::HttpUnreachable => (
            "网站无法访问",
            "经核查，从本接入商境内服务器地址无法正常打开该网站首页（连接被拒绝、超时、服务器错误或证书握手失败）。",
            "网站服务未启动或已停止，安全组/防火墙未放行80或443端口，站点配置或证书有误，或网站已关停。",
            "请恢复网站服务并确保首页可通过域名正常访问；如网站已停止运营，请申请取消接入或注销备案。",
            None,
        ),
        Code::PageNumberMissing => (
            "首页未悬挂备案号",
            "经核查，该网站首页未标明ICP备案编号。",
            "网站改版或更换模板时删除了页脚备案号，或只写了经营许可证号、公安备案号而缺少ICP备案号。",
            "请在网站首页底部中央位置标明本网站的备案编号（如“京ICP备12345678号-1”，也可使用主体备案号），并链接到 https://beian.miit.gov.cn 。",
            Some(ART_13_25),
        ),
        Code::PageNumberWrong => (
            "备案号与备案信息不符",
            "经核查，该网站首页标明的ICP备案编号不是本网站或本主体的备案编号。",
            "套用了其他网站的模板而未修改页脚，或同一主体的多个网站备案号写混。",
            "请将首页底部的备案编号改为本网站的备案编号（或本主体的备案编号），并链接到 https://beian.miit.gov.cn 。",
            Some(ART_13_25),
        ),
        Code::PageNumberUnlinked => (
            "备案号未链接工信部网站",
            "经核查，该网站首页标明了正确的备案编号，但未链接到工业和信息化部备案管理系统（https://beian.miit.gov.cn），或仍链接到已停用的旧地址。",
            "页脚备案号没有加超链接，或链接仍指向2019年已停用的 www.miitbeian.gov.cn / www.miibeian.gov.cn。",
            "请为首页底部的备案编号加上指向 https://beian.miit.gov.cn 的超链接。",
            Some(ART_13_25),
        ),
        Code::PageTitleMismatch => (
            "网站名称与备案不符",
            "经核查，该网站首页标题未包含备案登记的网站名称。",
            "网站更名或改版后未变更备案信息，或首页仍是服务器默认页、建站模板的示例标题。",
            "请将首页标题改为包含备案登记的网站名称；如网站确已更名，请先办理备案变更。",
            Some(ART_14),
        ),
        Code::PagePsbMissing => (
            "首页未悬挂公安备案号",
            "经核查，该网站已登记公安机关互联网站安全备案，但首页未标明公安备案编号。",
            "网站改版时删除了公安备案号，或只悬挂了ICP备案号。",
            "请在首页底部标明公安备案编号（如“京公网安备11010802020134号”），并按公安机关要求链接到 https://beian.mps.gov.cn 。此项属公安机关的备案要求，不在《非经营性互联网信息服务备案管理办法》范围内。",
            None,
        ),
        Code::FilingUnfiledServed => (
            "备案已取消接入或注销仍在提供服务",
            "经核查，该网站的备案已取消接入或已注销，但其域名仍解析到本接入商境内服务器并对外提供网页服务，属于未备案网站接入。",
            "取消接入或注销备案后，解析记录和网站服务未下线；或网站仍在运营但备案已失效。",
            "请立即停止该域名在本接入商服务器上的网站服务并删除相应解析；如需继续运营，请先重新办理备案，备案通过后方可恢复访问。",
            Some(ART_5_18),
        ),
        Code::ScanInconclusive => return None,
    };
    Some(Notice { code, category, title, text, cause, fix, basis })
}

/// The title of the Measures, for headings.
pub fn measures() -> &'static str {
    MEASURES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_customer_code_has_a_complete_notice() {
        for code in Code::ALL {
            let Some(n) = notice(code) else {
                assert_eq!(code, Code::ScanInconclusive);
                continue;
            };
            assert_eq!(Some(n.category), code.category());
            for text in [n.title, n.text, n.cause, n.fix] {
                assert!(!text.is_empty(), "{code}");
                assert!(text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{code}: Chinese text expected");
            }
            if let Some(b) = n.basis {
                assert!(b.articles.starts_with(MEASURES), "{code}");
            }
        }
    }

    #[test]
    fn articles_are_cited_only_where_they_apply() {
        for code in [Code::PageNumberMissing, Code::PageNumberWrong, Code::PageNumberUnlinked] {
            let b = notice(code).unwrap().basis.unwrap();
            assert!(b.articles.contains("第十三条") && b.articles.contains("第二十五条"), "{code}");
        }
        assert!(notice(Code::FilingUnfiledServed).unwrap().basis.unwrap().articles.contains("第十八条"));
        // Article 19 obliges the access provider to record its customers' filing information; it
        // says nothing of making the site owner verify or correct anything: the summary must not
        // put words in the article.
        let b = notice(Code::DnsUnresolved).unwrap().basis.unwrap();
        assert!(b.articles.ends_with("第十九条") && b.summary.starts_with("第十九条规定互联网接入服务提供者应当记录"), "{}", b.summary);
        assert!(!b.summary.contains("更正"), "{}", b.summary);
        // The public-security filing is not governed by the Measures; an unreachable site has no article.
        assert_eq!(notice(Code::PagePsbMissing).unwrap().basis, None);
        assert_eq!(notice(Code::HttpUnreachable).unwrap().basis, None);
        assert!(notice(Code::ScanInconclusive).is_none());
    }

    #[test]
    fn categories_follow_the_design() {
        assert_eq!(notice(Code::DnsOverseas).unwrap().category.zh(), "互联网信息不准确");
        assert_eq!(notice(Code::PageTitleMismatch).unwrap().category.zh(), "网站内容不合格");
    }
}
