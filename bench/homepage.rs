//! The bench homepage, shared by `scan-bench` (nginx serves it) and `page-bench` (analysed alone).

use std::fmt::Write as _;

/// The filing subject every bench site belongs to (site `k` is `{SUBJECT}-k`), its sites' name
/// and its public-security number: what the page's title and footer show.
pub const SUBJECT: &str = "京ICP备2024000001号";
pub const SITE_NAME: &str = "基准测试站点";
pub const PSB: &str = "京公网安备11010802020134号";

/// A homepage of about 40 KB whose footer is right for every filing of the bench subject.
pub fn page() -> String {
    let mut body = String::from(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>首页 - 基准测试站点</title>\
         <style>body{font-family:sans-serif}.item{margin:4px}</style></head><body><header><nav>",
    );
    for i in 0..20 {
        let _ = write!(body, "<a href=\"/c/{i}\">栏目{i}</a> ");
    }
    body.push_str("</nav></header><main>");
    let mut i = 0;
    while body.len() < 39_000 {
        let _ = write!(
            body,
            "<div class=\"item\"><h3><a href=\"/news/{i}.html\">新闻标题 {i}：云计算服务持续稳定运行</a></h3>\
             <p>这是第 {i} 条新闻的摘要，介绍产品更新与服务公告。<span class=\"date\">2026-11-{:02}</span></p></div>",
            i % 28 + 1
        );
        i += 1;
    }
    body.push_str(
        "</main><script>var _hmt=_hmt||[];</script><footer class=\"footer\"><p>© 2026 基准测试科技有限公司 版权所有</p>\
         <p><a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">京ICP备2024000001号</a> \
         <a href=\"https://beian.mps.gov.cn/#/query/webSearch?code=11010802020134\">京公网安备11010802020134号</a></p></footer></body></html>",
    );
    body
}
