//! Command-line definitions. The doc comments here are the help text users see.

use crate::period::Period;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// yuebao（月报）：建档立卡农村贫困人口就业与社会保障统计表的审核、汇总与报送工具。
///
/// 退出码：0 无错误；1 有文件存在错误（被退回；submit 时也包括待说明）；2 工具本身运行失败。
#[derive(Debug, Parser)]
#[command(name = "yuebao", version)]
pub struct Cli {
    /// 模式目录（含 forms/、regions/、calendar/ 三个子目录）；不指定时使用程序内置的模式
    #[arg(long, global = true, env = "YUEBAO_SCHEMAS", value_name = "DIR")]
    pub schemas: Option<PathBuf>,

    /// 本安装所属的省（代码或省名，如 410000、河南省）：其县区向市、市向省报送；不指定时用模式目录
    /// 中 site.toml 所写的省（内置为 370000 山东省）。一个数据目录只属于一个省
    #[arg(long, global = true, env = "YUEBAO_PROVINCE", value_name = "CODE")]
    pub province: Option<String>,

    /// 以此时间作为“现在”（北京时间，如 "2026-11-06 09:00"），用于按某一时刻重演报送、审核和
    /// 催报；默认为当前时间
    #[arg(long, global = true, value_name = "TIME")]
    pub now: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 审核县区报送的统计表（xlsx、xlsm、xlsb、xls、ods、csv，以及网页系统导出的 HTML 表格、
    /// Excel 另存的制表符分隔文本），逐个单元格指出问题
    ///
    /// 按文件内容（而不是扩展名）判断格式；打不开的文件（加密、PDF、图片、不完整……）逐个说明原因，
    /// 其余文件照常审核。每个文件都受“处理上限”约束（见下列 --max-* 选项）。
    Validate(ValidateArgs),
    /// 列出某个地区及其下辖的全部地区（代码、名称、级别、上级代码）
    Regions(RegionsArgs),
    /// 计算某个报告期的报送截止日（次月 5 日，遇节假日顺延）
    Deadline(DeadlineArgs),
    /// 生成空白报表模板（县区、市或省），合计栏为求和公式，填报单元格只允许填 0 或正整数
    Template(TemplateArgs),
    /// 生成模拟的县区报表（用于演示、培训和压力测试），每个县区一个文件
    Sample(SampleArgs),
    /// 审核县区（或市）报表并汇总为市、省汇总表，附报送情况；不给文件时汇总数据库中已接收的报表
    Rollup(RollupArgs),
    /// 审核并接收报表，存入数据库：原始文件、审核结果、报送人和接收时间永久保留
    ///
    /// 有错误的退回；只有警告的须附 --note 说明，否则为“待说明”，核实后把同一文件加说明再提交即可。
    /// 退出码：0 全部接收；1 有文件被退回或待说明；2 工具本身运行失败。
    Submit(SubmitArgs),
    /// 某报告期各县区的报送情况：按时、迟报、未报、退回、待说明，最后列出催报名单
    Status(StatusArgs),
    /// 某地区某报告期的全部报送版本（每次提交都保留）和审核记录，可取回原始文件
    History(HistoryArgs),
    /// 审核：退回（附原因）、审核通过（锁定当月报表）、解锁（附原因）；县区报表和市汇总表都适用
    #[command(subcommand)]
    Review(ReviewCommand),
    /// 市上报：按各县区当前有效的报表生成本市汇总表，作为本市当月报表上报到省（同门户的“上报汇总表”）
    ///
    /// 退出码：0 已接收；1 汇总表被退回或待说明（加 --note 说明后再上报）；2 工具本身运行失败。
    Report(ReportArgs),
    /// 第(1)栏基线（2015 年底摸底数）：从文件导入或查看
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// 基础台账（附件2 精准识别卡，每人一行）：逐人审核台账，由台账生成本县区的月报表
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// 收邮件报送：读取 .eml 文件、Maildir 目录或 mbox 文件中的邮件，附件中的报表（含 zip 中的）
    /// 按邮件到达时间和发件人提交，给每位发件人写回信；已处理过的邮件自动跳过
    ///
    /// 退出码：0 全部接收；1 有附件被退回、待说明、未提交或有邮件需人工处理；2 工具本身运行失败。
    Inbox(InboxArgs),
    /// 邮件催报：给催报名单上有登记邮箱的县区（或市）写催报邮件（.eml），每一封记入审计日志
    Remind(RemindArgs),
    /// 通讯录：电子邮件地址属于哪个地区（收邮件报送时据此认定发件人）
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// 生成年报（12 月数据、全年逐月数据和走势图、同比、全年报送记录），省和各市各一个文件
    Annual(AnnualArgs),
    /// 导出数据库中的全部报送：原始文件按报告期和地区存放，另附清单.csv（备份、审计、移交）
    Export {
        /// 导出目录（不存在时新建；已有同名文件时不覆盖）
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// 门户网站：县区上传报表、即时看到审核结果，市局审核、退回、催报、汇总；与命令行共用数据库
    Serve(ServeArgs),
    /// 门户账号：添加、列出、停用、改密码（密码以 argon2id 摘要保存）
    #[command(subcommand)]
    User(UserCommand),
    /// 审计日志：登录、上传、审核、下载、账号变动等每一次操作（只追加，哈希链防篡改）
    Audit(AuditArgs),
    /// 检查数据库：SQLite 完整性，每份报送的原始文件都在且与其 SHA-256 一致，审计日志的哈希链完整
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// 另行保存的链尾（上次 verify 输出的“审计日志链尾”，写作 条数:哈希）：检查日志没有被截断或改写
        #[arg(long, value_name = "N:HASH")]
        expect: Option<String>,
    },
    /// 备份数据库：门户运行时也可进行，得到一致的副本（一个文件，含全部原始文件和审计日志）；
    /// 可用 yuebao verify --data 副本文件 检查
    Backup {
        #[command(flatten)]
        store: StoreArgs,
        /// 备份文件（不能已存在），如 /backup/yuebao-2026-12-03.sqlite3
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
    /// Internal: a reader process of the pool (see `ingest::isolate`): reads files sent on
    /// stdin one after another under the limits, answering each with its sheets or the reason it
    /// cannot be read, so that a reader crash or runaway costs that file, not the batch.
    #[command(hide = true)]
    Probe {
        /// Serve the pool's protocol until stdin ends.
        #[arg(long)]
        serve: bool,
        /// The reader's memory cap (MB).
        #[arg(long, default_value_t = 160)]
        memory_mb: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// 每个问题一行，便于阅读
    Text,
    /// JSON，便于其他程序处理
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// 要审核的文件或目录（目录中扩展名为 xlsx、xlsm、xlsb、xls、ods、csv、tsv、txt、htm、html
    /// 的都会被审核，包括链接和特殊文件，不能读取的逐个说明原因）
    #[arg(required = true, value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,

    #[command(flatten)]
    pub hints: HintArgs,

    #[command(flatten)]
    pub limits: crate::limits::Limits,

    /// 安静模式：不显示进度条，只列出有错误或警告的文件和汇总
    #[arg(long, short)]
    pub quiet: bool,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// 把每个文件的审核标注副本（问题单元格标色并加批注，另附“审核结果”工作表）写入此目录
    #[arg(long, value_name = "DIR")]
    pub annotate: Option<PathBuf>,

    /// 逐条列出提示（如空白单元格按 0 计），而不是按类汇总
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionsFormat {
    /// 缩进的树形列表
    Text,
    /// 每行：代码<TAB>名称<TAB>级别<TAB>上级代码
    Tsv,
}

#[derive(Debug, Args)]
pub struct RegionsArgs {
    /// 地区代码或名称；默认本安装所属的省（如 370000 山东省）；000000 为全国
    #[arg(value_name = "CODE")]
    pub code: Option<String>,

    /// 按某个月的行政区划回答（2016 年以来），如 2018-10：当时的莱芜市及其区县
    #[arg(long, value_name = "YYYY-MM")]
    pub as_of: Option<Period>,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = RegionsFormat::Text)]
    pub format: RegionsFormat,
}

#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// 报告期，如 2024-09 或 2024年9月
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// 填报地区：县区、市或省的代码或名称，如 371302、兰山区、临沂市
    #[arg(long, value_name = "CODE")]
    pub region: String,

    /// 报告期，如 2026-10
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,

    /// 输出文件；默认为当前目录下的“代码-名称-报告期.xlsx”
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// 县区模板中预留的乡镇（街道）空行数（市、省模板按下辖地区逐行列出）
    #[arg(long, default_value_t = 30, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=500))]
    pub rows: u32,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// 报告期，如 2026-10
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,

    /// 为此地区下辖的每个县区（以及不设县区的市，如东莞市）生成一个文件；默认本安装所属的省
    /// （山东省：全部 136 个县区）
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    /// 输出目录
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// 随机种子：同一种子、地区和报告期总是生成相同的数据
    #[arg(long, default_value_t = crate::sample::DEFAULT_SEED)]
    pub seed: u64,

    /// 按固定规则植入错误（按代码排序后第 4、14、24… 个县区各一处，依次为：
    /// 第(3)栏大于第(2)栏、合计与各行之和不符、负数、文字、小数），
    /// 并在输出目录写出清单“说明/植入错误.tsv”
    #[arg(long)]
    pub with_errors: bool,

    /// 不显示进度条
    #[arg(long, short)]
    pub quiet: bool,

    /// 植入只在与上月比较时才出现的警告（按代码排序后第 7、17、27… 个县区，依次为：
    /// 各乡镇第(9)栏多 35%、最后一个乡镇并入前一个），用于演示 yuebao submit 的跨期审核；
    /// 清单同样写入“说明/植入错误.tsv”
    #[arg(long)]
    pub with_warnings: bool,

    /// 同时为每个县区生成模拟的基础台账（附件2，虚构人员：身份证号码校验位正确但顺序码为 900–999，
    /// 电话为 1700000 号段），写入输出目录的“台账”子目录；按规则清点台账恰好得出该县区当月的模拟报表
    #[arg(long)]
    pub register: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// 另写一份 CSV（UTF-8，带 BOM，Excel 可直接打开）
    Csv,
    /// 另写一份 JSON
    Json,
}

#[derive(Debug, Args)]
pub struct RollupArgs {
    /// 报告期，如 2026-10；报告期不符的文件被退回
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,

    /// 县区报表或市汇总表，可以是文件或目录（目录中的表格文件，与 validate 相同）；
    /// 不给时汇总数据库（--data）中该报告期已接收的报表
    #[arg(value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// 汇总表的输出目录
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// 汇总范围：省代码（默认本安装所属的省，输出各市和全省汇总表）或市代码（只输出该市汇总表）
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    /// 除汇总表（xlsx）外，另把汇总数据写成 CSV 或 JSON，便于分析
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<TableFormat>,

    /// 不显示进度条
    #[arg(long, short)]
    pub quiet: bool,

    #[command(flatten)]
    pub limits: crate::limits::Limits,
}

/// What to assume when a sheet and its file name do not say.
#[derive(Debug, Args)]
pub struct HintArgs {
    /// 表内和文件名都没有填报单位时使用的地区（代码或名称，如 371302 或 兰山区）
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    /// 表内和文件名都没有报告期时使用的报告期，如 2026-10
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Option<Period>,
}

/// Where the store lives.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// 数据目录（其中的 yuebao.sqlite3 保存全部报送记录）；默认为当前目录下的 yuebao-data
    #[arg(long = "data", env = "YUEBAO_DATA", value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// 审计密钥文件（放在数据目录之外）：审计日志用它签名（HMAC-SHA-256），verify 用它核对
    #[arg(long = "audit-key-file", env = "YUEBAO_AUDIT_KEY_FILE", value_name = "FILE")]
    pub audit_key_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// 要提交的文件或目录（目录中的表格文件，与 validate 相同）
    #[arg(required = true, value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// 报送人（如 兰山区人社局 张三）
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,

    /// 实际收到的时间（北京时间），用于补录早先通过电子邮件等方式收到的报表，
    /// 如 "2026-11-04 16:30"；不写则为现在。按此时间判断是否按时
    #[arg(long, value_name = "TIME")]
    pub received_at: Option<String>,

    /// 说明：审核只有警告时，附说明即可接收（强制上报）；没有说明则为“待说明”
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,

    /// 代报：替此县区（或市）录入它的纸质报表（代码或名称）；表内填报单位须与之一致，
    /// --by 记录录入人
    #[arg(long, value_name = "CODE")]
    pub on_behalf_of: Option<String>,

    /// 迟报原因：截止日期之后报送时写明原因，市级在报送情况中看到
    #[arg(long, value_name = "TEXT")]
    pub late_reason: Option<String>,

    #[command(flatten)]
    pub hints: HintArgs,

    #[command(flatten)]
    pub limits: crate::limits::Limits,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// 安静模式：只列出未接收（退回、待说明、未提交）的文件和汇总
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusLevel {
    /// 每个县区一行
    County,
    /// 每个市一行（省里收市汇总表时用）
    City,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// 报告期，如 2026-10
    #[arg(long, value_name = "YYYY-MM", required_unless_present = "annual")]
    pub period: Option<Period>,

    /// 改看某年的年报报送链：市报省（12 月 10 日前）、省报部（12 月 15 日前）的截止日和剩余天数，
    /// 以及年报所用各月报表的完整性
    #[arg(long, value_name = "YEAR", conflicts_with_all = ["period", "level"])]
    pub annual: Option<i32>,

    /// 省、市或县区的代码或名称；默认本安装所属的省（全省）
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// 按此时间判断是否逾期（北京时间，如 "2026-11-06 09:00"）；默认为现在
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,

    /// 列出哪一级：县区（县区报给市的报表）或市（市汇总表报给省）
    #[arg(long, value_enum, default_value_t = StatusLevel::County)]
    pub level: StatusLevel,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// 地区代码或名称
    #[arg(long, value_name = "CODE")]
    pub region: String,

    /// 报告期，如 2026-10
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,

    #[command(flatten)]
    pub store: StoreArgs,

    /// 把每个版本的原始文件取出到此目录（文件名前加“第N版-”）
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// A city's 上报 from the command line.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub target: ReviewTarget,

    /// 说明（汇总表有提醒项而数据无误时）
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,

    /// 迟报原因（已过截止日期时）
    #[arg(long, value_name = "TEXT")]
    pub late_reason: Option<String>,
}

/// Which region and month a review (or a city's 上报) is about, and who does it.
#[derive(Debug, Args)]
pub struct ReviewTarget {
    /// 地区代码或名称（县区，或市汇总表的市；上报时为市）
    #[arg(long, value_name = "CODE")]
    pub region: String,

    /// 报告期，如 2026-10
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,

    /// 审核人或上报人（如 临沂市人社局 李四）
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// 审核退回：该地区当月报表不再计入汇总（汇总表中为“××（退回）”），直到新的版本被接收
    Return {
        #[command(flatten)]
        target: ReviewTarget,
        /// 退回原因（必填，县区会看到）
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// 审核通过：锁定该地区当月报表，此后提交会被拒绝，直到解锁
    Approve {
        #[command(flatten)]
        target: ReviewTarget,
    },
    /// 解锁：撤销审核通过，允许重新提交
    Unlock {
        #[command(flatten)]
        target: ReviewTarget,
        /// 解锁原因（必填）
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,

    #[command(flatten)]
    pub key: KeyArgs,

    /// 监听的地址和端口；端口为 0 时由系统选择，启动后打印实际地址
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,

    /// 会话 Cookie 加 Secure 标记（经 HTTPS 反向代理对外服务时使用；内网直接 http 访问时不要加）
    #[arg(long)]
    pub secure_cookie: bool,

    /// 用户在浏览器地址栏看到的本站地址（如 https://yuebao.example.gov.cn 或 http://10.1.2.3:8080），
    /// 可给多次；改变数据的请求必须来自这些地址的页面。不给时为监听地址（本机地址另含 localhost）；
    /// 监听 0.0.0.0 等全部地址时必须给出
    #[arg(long = "public-url", value_name = "URL")]
    pub public_url: Vec<String>,

    /// 证书文件（PEM，可含中间证书）：门户自己提供 HTTPS（rustls），并发送 HSTS；须与 --tls-key 同用
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// 私钥文件（PEM）
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    #[command(flatten)]
    pub limits: crate::limits::Limits,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// 添加账号：县区填报员（reporter）、审核员（reviewer，市或省）、系统管理员（admin）、安全管理员（secadmin）、审计员（auditor）
    Add {
        /// 用户名（不含空格）
        name: String,
        /// 账号所属地区（代码或名称）：填报员为县区，审核员为市或省
        #[arg(long, value_name = "CODE")]
        region: String,
        /// 角色：reporter、reviewer、admin、secadmin 或 auditor
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// 从标准输入读取密码（一行），用于脚本；不给时在终端提示输入
        #[arg(long)]
        password_stdin: bool,
        /// 首次登录时必须修改密码
        #[arg(long)]
        must_change: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// 列出全部账号
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// 停用账号（不删除，已有报送记录仍显示其名字）；其会话立即失效
    Disable {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// 重新启用已停用的账号
    Enable {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// 授权县区的填报或审核账号查看本县区、市或省的审核账号查看辖区内各县区台账个人信息的完整内容
    /// （身份证号码、电话、姓名）；--revoke 收回。未授权的县区账号只看到遮蔽后的号码，未授权的市、省账号
    /// 看不到人员名单；每次查看完整内容都记入审计日志
    Grant {
        name: String,
        /// 收回授权
        #[arg(long)]
        revoke: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// 修改密码；该账号已有的会话全部失效
    Passwd {
        name: String,
        /// 从标准输入读取新密码（一行）
        #[arg(long)]
        password_stdin: bool,
        /// 下次登录时必须修改密码
        #[arg(long)]
        must_change: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// 只列出此时刻及以后的记录：YYYY-MM-DD 或 "YYYY-MM-DD HH:MM"
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// 只列出此用户的记录（登录失败记录的是所用的用户名）
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// 只列出此类操作：login、login_failed、logout、upload、return、approve、unlock、report、download、reminder、user_add、user_disable、user_enable、password_change
    #[arg(long, value_name = "CODE")]
    pub action: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct InboxArgs {
    /// 邮件来源：.eml 文件、Maildir 目录（含 cur、new）、放 .eml 文件的目录，或 mbox 文件
    /// （Foxmail、Thunderbird 导出）
    #[arg(required_unless_present = "imap", value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    /// 读取邮件服务器上的邮箱：imaps://用户名@主机[:993]/文件夹，或 imap://用户名@主机[:143]/文件夹
    /// （须支持 STARTTLS）；文件夹默认 INBOX。只取未标记“已处理”的邮件，处理后标记（$YuebaoProcessed），
    /// 不改变已读状态。密码取自环境变量 YUEBAO_IMAP_PASSWORD、--password-stdin，或提示输入
    #[arg(long, value_name = "URL")]
    pub imap: Option<String>,
    /// 持续运行：每隔这么多分钟再读一次（可带小数）；Ctrl-C 停止
    #[arg(long, value_name = "MINUTES", value_parser = parse_minutes)]
    pub watch: Option<f64>,
    /// 把给发件人的回信（.eml）写入此目录
    #[arg(long, value_name = "DIR")]
    pub outbox: Option<PathBuf>,
    /// 回信的发件地址
    #[arg(long, value_name = "ADDRESS", default_value = "月报系统 <yuebao@localhost>")]
    pub reply_from: String,
    #[command(flatten)]
    pub servers: MailServerArgs,
    /// 输出格式
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub limits: crate::limits::Limits,
}

/// How `inbox` and `remind` reach the city's mail servers.
#[derive(Debug, Args, Clone)]
pub struct MailServerArgs {
    /// 经邮件服务器发出：smtps://用户名@主机[:465]，或 smtp://用户名@主机[:587]（须支持 STARTTLS）。
    /// 密码取自环境变量 YUEBAO_SMTP_PASSWORD、--password-stdin，或提示输入。
    /// 未能发出的邮件留在库中，下次运行时补发，不会重复发送
    #[arg(long, value_name = "URL")]
    pub smtp: Option<String>,
    /// 另外信任此 PEM 文件中的根证书（单位自建邮件服务器的证书）
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// 从标准输入读取密码，每行一个（同时用 --imap 和 --smtp 时先 IMAP 后 SMTP）
    #[arg(long)]
    pub password_stdin: bool,
}

fn parse_minutes(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(m) if m.is_finite() && m >= 0.01 => Ok(m),
        _ => Err(format!("“{s}”不是有效的分钟数（至少 0.01）")),
    }
}

#[derive(Debug, Args)]
pub struct RemindArgs {
    /// 报告期，如 2026-10
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,
    /// 省或市的代码或名称：催其下辖县区（市）；默认本安装所属的省（全省）
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,
    /// 列出哪一级：县区或市（市汇总表报给省）
    #[arg(long, value_enum, default_value_t = StatusLevel::County)]
    pub level: StatusLevel,
    /// 把催报邮件（.eml）写入此目录
    #[arg(long, value_name = "DIR", required_unless_present_any = ["dry_run", "smtp"])]
    pub outbox: Option<PathBuf>,
    #[command(flatten)]
    pub servers: MailServerArgs,
    /// 只列出会发给谁、发什么，不写邮件、不记审计日志
    #[arg(long)]
    pub dry_run: bool,
    /// 催报邮件的发件地址
    #[arg(long, value_name = "ADDRESS", default_value = "月报系统 <yuebao@localhost>")]
    pub from: String,
    /// 发出人（记入审计日志）
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// A file imported into the store (`baseline import`, `contacts import`), all or none.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
    /// 导入人
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// 从 CSV 文件导入：每行“地区代码或名称,姓名,电子邮件”，可有标题行，UTF-8 或 GBK；全部无误才导入
    Import(ImportArgs),
    /// 列出通讯录
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// 输出格式
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// 从 CSV 文件导入基线：每行“地区代码或名称,数值”，可有标题行；全部无误才导入
    Import(ImportArgs),
    /// 列出某地区下辖各县区的基线及其来源
    List {
        /// 地区代码或名称；默认本安装所属的省
        #[arg(long, value_name = "CODE")]
        region: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// 审核台账文件：身份证号码（出生日期、校验位）、性别、户籍县、选项、矛盾、重复，逐格指出
    ///
    /// 退出码：0 无错误；1 有错误；2 工具本身运行失败。
    Check(LedgerArgs),
    /// 把县区的整本台账导入数据库：与库中已有的比较，新建卡、变动、脱贫销号、返贫挂号都记为带日期的事件，
    /// 任何一个月末的台账都可复原。身份证号码、电话、姓名等个人信息加密保存（密钥放在数据目录之外）
    ///
    /// 台账有错误时不导入。退出码：0 已导入；1 台账有错误；2 工具本身运行失败。
    Import(LedgerImportArgs),
    /// 由台账生成本县区某月的报表（每个乡镇一行，法定格式）：按 schemas 中的规则在月末清点在册人员
    ///
    /// 给出台账文件时由该文件生成，否则由数据库中导入的台账生成（不需要密钥）。台账不能提供的栏目
    /// （第(21)栏“三支一扶”）取自 --hand 的报表或数据库中本县区当月的报表，都没有则留空由县区手工填写。
    /// 退出码：0 已生成；1 台账有错误或台账自身违反栏目关系；2 工具本身运行失败。
    Sheet(LedgerSheetArgs),
    /// 跨县区重复人员：同一身份证号码同时在两个县区的台账中（只列县区和人数，不列人员）
    Duplicates {
        /// 市或省（代码或名称）；默认本安装所属的省
        #[arg(long, value_name = "CODE")]
        region: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        /// 输出格式
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// 台账文件（xlsx、xls、et、ods、csv 等，每人一行，按表头识别各栏）
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// 台账所属的县区（代码或名称，如 371302 或 兰山区）
    #[arg(long, value_name = "CODE")]
    pub region: String,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// The personal-data key.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// 个人信息密钥文件（放在数据目录之外，与数据分开备份）：台账中的身份证号码、电话、姓名用它加密；
    /// 不给时使用用户配置目录中的 yuebao/personal.key，第一次使用时自动生成
    #[arg(long = "key-file", env = "YUEBAO_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LedgerImportArgs {
    /// 台账文件，或一个目录（其中每个表格文件是一个县区的台账，县区取自文件名开头的区划代码或县区名，
    /// 如 370102-历下区-台账.xlsx；各文件同时读取审核，逐个导入）
    #[arg(value_name = "FILE|DIR")]
    pub input: PathBuf,

    /// 台账所属的县区（代码或名称）；导入目录时不用
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    /// 输出格式
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    #[command(flatten)]
    pub store: StoreArgs,

    #[command(flatten)]
    pub key: KeyArgs,

    /// 导入人（如 兰山区人社局 张三）
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,

    /// 原个人信息密钥已遗失，以给出的（或新生成的）密钥重新导入：用旧密钥的县区，库中原有人员自今天起封存
    /// （此前各月的数字不变，其身份证号码等从此无法查看），本次文件中的人员自今天起重新建档
    #[arg(long)]
    pub new_key: bool,
}

#[derive(Debug, Args)]
pub struct LedgerSheetArgs {
    /// 台账文件；不给时用数据库中导入的台账
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// 县区（代码或名称，如 371302 或 兰山区）
    #[arg(long, value_name = "CODE")]
    pub region: String,

    /// 报告期，如 2026-10：按该月最后一天的台账计数
    #[arg(long, value_name = "YYYY-MM")]
    pub period: Period,

    /// 输出文件；默认为当前目录下的“代码-县区名-报告期.xlsx”
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// 本县区已填好的一张报表（如当月或上月的）：台账不能提供的栏目（第(21)栏）取自此表，
    /// 乡镇按此表的行序排列，台账中的乡镇须是此表中的乡镇
    #[arg(long, value_name = "FILE")]
    pub hand: Option<PathBuf>,

    /// 输出格式（审核意见）
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct AnnualArgs {
    /// 年度，如 2025
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(2000..=2999))]
    pub year: i32,

    /// 省代码（默认本安装所属的省，输出全省和各市年报）或市代码（只输出该市年报）
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,

    /// 只编到该月（YYYY-MM，须为 --year 当年）：12 月 10 日市报省、15 日省报部时 12 月报表尚未到期，
    /// 年报用 1–11 月（--through YYYY-11）；不给时，12 月报表到期前编 1–11 月，到期后编全年
    #[arg(long, value_name = "YYYY-MM")]
    pub through: Option<String>,

    /// 输出目录
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    #[command(flatten)]
    pub store: StoreArgs,
}
