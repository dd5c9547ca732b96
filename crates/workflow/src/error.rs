//! Why the workflow refused: each a full Chinese sentence a front end can show as it is.

use crate::period::Period;
use crate::store::StoreError;
use crate::time::Time;

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The target is named by its code only: a refusal says nothing about a region one may not
    /// see (its name is what the user typed or nothing at all).
    #[error("{actor}无权{action}{what}")]
    OutOfScope { actor: String, action: &'static str, what: String },
    #[error("“{text}”不是已知的地区代码或名称")]
    UnknownRegion { text: String },
    #[error("“{text}”可能是 {candidates}，请使用 6 位区划代码")]
    AmbiguousRegion { text: String, candidates: String },
    #[error("{region}是县区，县区报表不需要再汇总；请选择市或省")]
    NotARollupScope { region: String },
    #[error("模式中没有设置 cross_period.baseline_column，本表没有基线栏")]
    NoBaselineColumn,
    #[error("{region} {} 已于 {} 由{by}审核通过，报表已锁定；如需修改，请先由审核人解锁", .period.label(), crate::time::label(*.at))]
    Locked { region: String, period: Period, by: String, at: Time },
    #[error("{what}必须写明原因")]
    ReasonRequired { what: &'static str },
    #[error("{region} {} {why}", .period.label())]
    CannotReview { region: String, period: Period, why: String },
    #[error("代报的地区是{given}，但表内填报单位是{found}；请核对后重新提交")]
    OnBehalfMismatch { given: String, found: String },
    #[error("代报是替下级地区录入报表；本地区的报表请直接上传")]
    OnBehalfOfOwn,
    #[error("第 {id} 号报送不是待说明的版本，不能补充说明；如需更正请重新上传")]
    NotPending { id: i64 },
    #[error("收到时间 {} 晚于现在（{}），请检查", crate::time::label(*.at), crate::time::label(*.now))]
    ReceivedInFuture { at: Time, now: Time },
    #[error("没有第 {id} 号报送")]
    NoSuchSubmission { id: i64 },
    #[error("无权查看第 {id} 号报送")]
    NotYours { id: i64 },
    #[error("第 {id} 号报送的原始文件在库中缺失，请联系系统管理员（yuebao verify）")]
    MissingBytes { id: i64 },
    #[error("第 {old} 号和第 {new} 号报送不是同一地区同一月份的两个版本，无法对比")]
    NotComparable { old: i64, new: i64 },
    #[error("用户名或密码不正确")]
    BadLogin,
    #[error("登录失败次数过多，请 {minutes} 分钟后再试")]
    TooManyLogins { minutes: i64 },
    #[error("{0}")]
    Account(String),
    #[error("通讯录：{0}")]
    Contact(String),
    #[error("邮件只能在命令行发送（yuebao inbox、yuebao remind）")]
    MailFromCliOnly,
    #[error("{region}不是市：只有市把所辖县区的汇总表上报到省")]
    NotACity { region: String },
    #[error("台账：{0}")]
    Register(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("汇总计算失败：{0}")]
    Rollup(String),
    #[error("工作簿生成失败：{0}")]
    Workbook(String),
}
