//! zh-CN first, with a complete English translation. Every key has both; a tidy test checks
//! that every key used by a template or handler is here, and every error code too.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// (key, zh-CN, en)
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "乡治", "Xiangzhi"),
    // Navigation
    ("nav.skip", "跳到正文", "Skip to content"),
    ("nav.tools", "工具", "Tools"),
    ("nav.large", "大字", "Large text"),
    ("nav.login", "登录", "Log in"),
    ("nav.logout", "退出", "Log out"),
    ("nav.modules", "功能导航", "Sections"),
    ("nav.workbench", "工作台", "Workbench"),
    ("nav.areas", "行政区划", "Areas"),
    ("nav.households", "户籍台账", "Households"),
    ("nav.people", "人口信息", "People"),
    ("nav.import", "台账导入", "Import"),
    ("nav.pending", "注册审核", "Registrations"),
    ("nav.users", "账号与权限", "Accounts and roles"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.breadcrumb", "当前位置", "You are here"),
    ("vnav.home", "首页", "Home"),
    ("vnav.household", "我家", "My household"),
    ("vnav.me", "我的", "Me"),
    ("vnav.report", "办事", "Report"),
    ("vnav.cases", "我的事", "My cases"),
    ("nav.cases", "案件", "Cases"),
    ("nav.inbox", "消息", "Inbox"),
    ("tip.title", "举报涉黑涉恶线索", "Report organised crime"),
    ("tip.hint", "线索加密保存，只有政法部门的线索专员能看；不记录您的账号。愿意留联系方式的可以留。", "Your report is encrypted and read only by the tip officer; your account is not recorded. Leave a contact only if you wish."),
    ("tip.contact", "联系方式（可不填）", "Contact (optional)"),
    ("tip.contact_hint", "不填就是匿名举报。", "Leave it empty to stay anonymous."),
    ("tip.submit", "提交线索", "Send the report"),
    ("tip.received", "线索已收到", "Report received"),
    ("tip.receipt_hint", "请记下查询码，只显示这一次。凭它可以查询处理进度。", "Write down this code: it is shown only once. Use it to follow your report."),
    ("tip.follow", "查询处理进度", "Follow a report"),
    ("tip.code", "查询码", "Receipt code"),
    ("tip.status.received", "已收到", "Received"),
    ("tip.status.processing", "正在处理", "Being handled"),
    ("tip.status.closed", "已办结", "Closed"),
    ("tip.status.unknown", "没有找到这个查询码。", "No report has this code."),
    ("tips.hint", "打开一条线索就会记入审计日志。", "Opening a report is recorded in the audit log."),
    ("tips.empty", "暂无线索。", "No reports."),
    ("field.description", "情况说明", "Description"),
    ("field.title", "标题", "Title"),
    ("field.address_string", "具体位置", "Address"),
    ("field.lat", "纬度", "Latitude"),
    ("field.long", "经度", "Longitude"),
    ("field.anonymous", "匿名", "Anonymous"),
    ("field.reporter_name", "反映人姓名", "Reporter's name"),
    ("field.idempotency_key", "提交编号", "Submission key"),
    ("field.evidence", "办理结果", "What was done"),
    ("field.hours", "延期小时数", "Extension hours"),
    ("field.rating", "评价", "Rating"),
    ("field.note", "情况", "Note"),
    ("field.text", "内容", "Text"),
    ("field.signatures", "签名", "Signatures"),
    ("field.n", "时限", "Limit"),
    ("field.kind", "单位", "Unit"),
    ("field.priority", "紧急程度", "Priority"),
    ("field.max_reopens", "最多重办次数", "Reopens at most"),
    ("field.day", "日期", "Date"),
    ("field.step", "调解步骤", "Mediation step"),
    ("field.starts_at", "开始时间", "Start"),
    ("field.ends_at", "结束时间（最长 7 天）", "End (7 days at most)"),
    ("field.queue", "队列", "Queue"),
    ("field.action", "操作", "Action"),
    ("field.assignee_user_id", "承办人", "Assignee"),
    ("field.type_code", "事项", "Case type"),
    ("field.body", "线索内容", "What you report"),
    ("field.contact", "联系方式", "Contact"),
    ("field.status", "状态", "Status"),
    ("field.other", "这一项", "This field"),
    ("nav.duty", "值班表", "Duty roster"),
    ("duty.hint", "紧急求助会立即通知正在值班的人。错时上班、周末值守都在这里排。", "Emergencies reach whoever is on duty at once. Staggered hours and weekend duty are planned here."),
    ("duty.empty", "还没有排班。", "No shifts planned."),
    ("duty.now", "正在值班", "On duty now"),
    ("duty.add", "排一个班", "Add a shift"),
    ("duty.username", "值班人账号", "Username of the person on duty"),
    ("duty.starts", "开始", "Starts"),
    ("duty.ends", "结束", "Ends"),
    ("duty.save", "保存", "Save"),
    ("att.title", "照片和材料", "Photos and documents"),
    ("att.photo", "照片", "Photo"),
    ("att.document", "材料", "Document"),
    ("att.add", "添加照片或 PDF", "Add a photo or a PDF"),
    ("att.hint", "照片会自动缩小并去掉位置信息；最大 10 MB。", "Photos are made smaller and lose their location data; 10 MB at most."),
    ("att.upload", "上传", "Upload"),
    ("case.attach", "上传照片或材料", "Attachment added"),
    ("inbox.empty", "暂无消息。", "No messages."),
    ("note.case.new", "新案件", "New case"),
    ("note.case.emergency", "紧急求助", "Emergency"),
    ("note.case.update", "您反映的问题有新进展", "Your case has moved on"),
    ("note.case.assigned", "派给您的案件", "Assigned to you"),
    ("note.case.escalated", "上报到本级的案件", "Escalated to you"),
    ("note.case.slipped", "本级逾期被上报的案件", "Escalated from your level (overdue)"),
    ("note.case.extension", "延期申请待审批", "Extension to decide"),
    ("note.mediation.confirm_t7", "调解协议 7 天后到司法确认期限", "7 days left to apply for court confirmation"),
    ("note.mediation.confirm_t2", "调解协议 2 天后到司法确认期限", "2 days left to apply for court confirmation"),
    ("nav.board", "派单看板", "Dispatch board"),
    ("nav.indicators", "考核指标", "Indicators"),
    ("nav.catalogue", "事项清单", "Case catalogue"),
    ("nav.tips", "线索", "Tips"),
    ("yes", "是", "Yes"),
    ("no", "否", "No"),
    ("act.accept", "受理", "Accept"),
    ("act.reject", "不予受理", "Reject"),
    ("act.dispatch", "派单", "Dispatch"),
    ("act.return", "退单", "Return to dispatcher"),
    ("act.start", "开始办理", "Start work"),
    ("act.suspend", "暂停", "Suspend"),
    ("act.resume", "恢复办理", "Resume"),
    ("act.request_extension", "申请延期", "Request an extension"),
    ("act.decide_extension", "审批延期", "Decide the extension"),
    ("act.approve", "同意", "Approve"),
    ("act.deny", "不同意", "Refuse"),
    ("act.handle", "办结反馈", "Report as handled"),
    ("act.verify", "核查通过", "Verify"),
    ("act.reopen", "核查不通过，退回", "Send back (not done)"),
    ("act.close", "结案", "Close"),
    ("act.rate", "评价办理结果", "Rate the result"),
    ("act.rate_phone", "记录电话回访评价", "Record the phone revisit"),
    ("act.escalate", "上报上一级", "Escalate"),
    ("act.note", "添加内部备注", "Add an internal note"),
    ("act.input.reason", "原因", "Reason"),
    ("act.input.evidence", "办理结果（现场情况、处理措施）", "What was done"),
    ("act.input.note", "备注", "Note"),
    ("act.input.hours", "延期小时数", "Extension in hours"),
    ("act.input.comment", "意见（可不填）", "Comment (optional)"),
    ("board.to_accept", "待受理", "To accept"),
    ("board.to_dispatch", "待派单", "To dispatch"),
    ("board.out", "办理中", "In hand"),
    ("board.to_verify", "待核查结案", "To verify and close"),
    ("board.none", "暂无", "None"),
    ("case.new", "反映问题", "Report something"),
    ("case.choose", "您要反映什么？", "What would you like to report?"),
    ("case.choose_hint", "选一项最接近的，说不清就选“投诉建议”。", "Choose the closest; if unsure, choose “Complaint or suggestion”."),
    ("case.area", "所在村", "Village"),
    ("case.description", "情况说明", "What happened"),
    ("case.address", "具体位置", "Where exactly"),
    ("case.address_hint", "如：二组村口、学校门口。不要写身份证号、电话。", "For example: the entrance of group 2. No ID numbers or phone numbers."),
    ("case.anonymous", "不公开我的姓名", "Do not show my name"),
    ("case.anonymous_reporter", "匿名", "Anonymous"),
    ("case.submit", "提交", "Submit"),
    ("case.emergency_first", "危及生命和财产安全，请先拨打：", "If life or property is in danger, call first:"),
    ("case.done.created", "已提交，编号", "Submitted, number"),
    ("case.done.acted", "已办理，时间线已更新。", "Done; the timeline is updated."),
    ("case.done.rated", "谢谢您的评价。", "Thank you for your rating."),
    ("case.done.saved", "已保存。", "Saved."),
    ("case.follow", "按编号查询办理进度", "Follow a case by its number"),
    ("case.number", "编号", "Number"),
    ("case.number_hint", "如 2026-000123", "e.g. 2026-000123"),
    ("case.find", "查询", "Find"),
    ("search.title", "搜索事件", "Search cases"),
    ("search.q", "关键词", "Words"),
    ("search.q_hint", "如：路灯 村口，或事件编号", "e.g. street light, or a case number"),
    ("search.type", "事项类型", "Case type"),
    ("search.any_type", "全部类型", "All types"),
    ("search.sort", "排序", "Order"),
    ("search.sort_best", "最相关", "Best match"),
    ("search.sort_new", "最新", "Newest"),
    ("search.go", "搜索", "Search"),
    ("search.found", "共找到", "Found"),
    ("search.cases", "件", "cases"),
    ("search.none", "没有找到。换个说法，或少写几个词再试。", "Nothing found. Try other words, or fewer of them."),
    ("search.building", "索引正在建立，结果可能不全", "the index is being built; results may be incomplete"),
    ("field.q", "关键词", "Search words"),
    ("case.type", "事项", "Type"),
    ("case.org", "承办单位", "Responsible"),
    ("case.deadline", "办理期限", "Deadline"),
    ("case.raised_at", "反映时间", "Raised"),
    ("case.priority", "紧急程度", "Priority"),
    ("case.reporter", "反映人", "Reported by"),
    ("case.rating", "评价", "Rating"),
    ("case.extension_pending", "待审批的延期", "Extension requested"),
    ("case.timeline", "办理经过", "Timeline"),
    ("case.internal", "内部", "Internal"),
    ("case.escalated", "已上报", "Escalated"),
    ("case.overdue_by", "已逾期", "Overdue by"),
    ("case.left", "还剩", "Due in"),
    ("case.days", "天", "days"),
    ("case.hours", "小时", "hours"),
    ("case.working_days", "个工作日", "working days"),
    ("case.raise", "提交反映", "Raised"),
    ("case.accept", "已受理", "Accepted"),
    ("case.reject", "不予受理", "Rejected"),
    ("case.dispatch", "已派单", "Dispatched"),
    ("case.return", "退单", "Returned"),
    ("case.start", "开始办理", "Work started"),
    ("case.suspend", "暂停办理", "Suspended"),
    ("case.resume", "恢复办理", "Resumed"),
    ("case.request_extension", "申请延期", "Extension requested"),
    ("case.decide_extension", "延期审批", "Extension decided"),
    ("case.handle", "办结反馈", "Handled"),
    ("case.verify", "核查通过", "Verified"),
    ("case.reopen", "核查退回", "Sent back"),
    ("case.close", "结案", "Closed"),
    ("case.rate", "回访评价", "Rated"),
    ("case.escalate", "逾期或按规定上报上一级", "Escalated a level up"),
    ("case.note", "备注", "Note"),
    ("case.mediation_consent", "当事人意愿", "Party's consent"),
    ("case.mediation_session", "调解", "Mediation session"),
    ("case.mediation_agreement", "签订调解协议", "Agreement signed"),
    ("case.mediation_reminder", "提醒申请司法确认", "Confirmation reminder"),
    ("med.title", "人民调解", "Mediation"),
    ("med.consent_a", "甲方意愿", "Party A"),
    ("med.consent_b", "乙方意愿", "Party B"),
    ("med.unknown", "未表态", "Not asked yet"),
    ("med.agrees", "同意调解", "Agrees"),
    ("med.refuses", "拒绝调解", "Refuses"),
    ("med.sessions", "调解次数", "Sessions"),
    ("med.agreement", "调解协议", "Agreement"),
    ("med.confirm_due", "申请司法确认截止", "Apply for court confirmation by"),
    ("med.record_consent", "记录意愿", "Record"),
    ("med.session", "记录一次调解", "Record a session"),
    ("med.session_note", "调解情况", "What happened"),
    ("med.agreement_text", "协议内容（事实、责任、履行方式和期限）", "Agreement (facts, responsibilities, performance)"),
    ("med.parties_signed", "双方当事人已签名（按手印）", "Both parties signed"),
    ("med.mediator_signed", "调解员已签名，调委会已盖章", "Mediator signed, committee sealed"),
    ("med.sign", "协议生效", "Make the agreement effective"),
    ("med.party", "当事人", "Party"),
    ("med.party_a", "甲方", "Party A"),
    ("med.party_b", "乙方", "Party B"),
    ("status.reported", "待受理", "Reported"),
    ("status.accepted", "已受理", "Accepted"),
    ("status.rejected", "不予受理", "Rejected"),
    ("status.dispatched", "已派单", "Dispatched"),
    ("status.returned", "已退单", "Returned"),
    ("status.in_progress", "办理中", "In progress"),
    ("status.suspended", "暂停", "Suspended"),
    ("status.handled", "待核查", "Handled"),
    ("status.verified", "已核查", "Verified"),
    ("status.closed", "已结案", "Closed"),
    ("status.revisited", "已回访", "Revisited"),
    ("priority.urgent", "紧急", "Urgent"),
    ("priority.high", "较急", "High"),
    ("priority.normal", "一般", "Normal"),
    ("priority.low", "不急", "Low"),
    ("rating.satisfied", "满意", "Satisfied"),
    ("rating.basically", "基本满意", "Mostly satisfied"),
    ("rating.unsatisfied", "不满意", "Not satisfied"),
    ("category.report", "随手拍", "Report"),
    ("category.service", "代办服务", "Service"),
    ("category.dispute", "矛盾纠纷", "Dispute"),
    ("category.hazard", "安全隐患", "Hazard"),
    ("category.emergency", "紧急求助", "Emergency"),
    ("category.complaint", "投诉建议", "Complaint"),
    ("category.legal", "法律咨询", "Legal"),
    ("dup.title", "可能已经有人反映过", "This may have been reported already"),
    ("dup.hint", "下面的问题正在办理。是同一件事的话，点开查看进度即可；不是的话，再点一次提交。", "These are being handled. If it is the same matter, open it to follow; if not, submit again."),
    ("dup.view", "查看进度", "Follow this one"),
    ("dup.submit_anyway", "不是同一件事，仍然提交", "Not the same, submit anyway"),
    ("mine.empty", "您还没有反映过问题。", "You have not reported anything yet."),
    ("queue.label", "案件队列", "Case queues"),
    ("queue.org", "本级待办", "My organisation"),
    ("queue.mine", "我承办的", "Assigned to me"),
    ("queue.overdue", "已逾期", "Overdue"),
    ("queue.escalated", "已上报", "Escalated"),
    ("queue.all", "全部", "All"),
    ("queue.empty", "这个队列里没有案件。", "Nothing in this queue."),
    ("ind.area", "区域", "Area"),
    ("ind.total", "案件总数", "Cases"),
    ("ind.open", "在办", "Open"),
    ("ind.overdue", "逾期", "Overdue"),
    ("ind.on_time", "按期办结率", "On-time rate"),
    ("ind.village", "小事不出村", "Resolved in the village"),
    ("ind.township", "大事不出镇", "Resolved in the township"),
    ("ind.satisfaction", "满意率", "Satisfaction"),
    ("ind.slipped", "本级逾期上报", "Slipped here"),
    ("ind.chart", "各区域按期办结率", "On-time rate by area"),
    ("cat.hint", "县级维护，乡镇和村继承。修改后立即对新案件生效。", "Kept by the county, inherited by townships and villages. Changes apply to new cases at once."),
    ("cat.code", "代码", "Code"),
    ("cat.name", "事项", "Case type"),
    ("cat.category", "类别", "Category"),
    ("cat.level", "首办层级", "First level"),
    ("cat.public", "公开", "Public"),
    ("cat.sla_edit", "修改办理时限", "Change a time limit"),
    ("cat.limit", "时限", "Limit"),
    ("cat.unit", "单位", "Unit"),
    ("cat.save", "保存", "Save"),
    ("cat.settings", "不满意的处理", "When the reporter is not satisfied"),
    ("cat.policy", "处理方式", "Policy"),
    ("cat.policy.reopen", "先重办，再上报", "Reopen, then escalate"),
    ("cat.policy.escalate", "直接上报上一级", "Escalate at once"),
    ("cat.max_reopens", "最多重办次数", "Reopens at most"),
    ("cat.holidays", "节假日与调休", "Holidays and worked weekends"),
    ("cat.day", "日期", "Date"),
    ("cat.holiday_name", "名称", "Name"),
    ("cat.workday", "调休上班", "Worked day"),
    ("cat.dayoff", "放假", "Day off"),
    ("cat.add_day", "添加", "Add"),
    ("tip.link", "举报涉黑涉恶线索（保密，可匿名）", "Report organised crime (confidential, may be anonymous)"),
    // Login
    ("login.title", "登录乡治", "Log in to Xiangzhi"),
    ("login.intro", "村民用手机号登录；干部用分配的账号登录。", "Villagers log in with their phone number; staff with their assigned account."),
    ("login.username", "账号或手机号", "Username or phone"),
    ("login.username_hint", "村民请填写注册时的手机号", "Villagers: the phone number you registered with"),
    ("login.password", "密码", "Password"),
    ("login.otp", "动态验证码", "One-time code"),
    ("login.otp_hint", "乡镇、县级干部和管理员须填写验证器上的 6 位数字", "Township and county staff and administrators: the 6 digits from your authenticator"),
    ("login.submit", "登录", "Log in"),
    ("login.register", "还没有账号？村民注册", "No account yet? Register as a villager"),
    // Registration
    ("reg.title", "村民注册", "Villager registration"),
    ("reg.intro", "请填写与户籍登记一致的姓名、身份证号和手机号。", "Enter your name, ID number and phone exactly as registered with the village."),
    ("reg.submit", "提交注册", "Register"),
    ("reg.done", "已提交。请等待本村干部确认，或输入短信验证码立即开通。", "Submitted. Wait for a village cadre to confirm, or enter the code we text you to activate now."),
    ("reg.code_intro", "点“发送验证码”，把收到的 6 位数字填在下面。", "Press “Send code” and enter the 6 digits you receive."),
    ("reg.code", "短信验证码", "Code from the text message"),
    ("reg.verify", "确认开通", "Activate"),
    ("reg.send", "发送验证码", "Send code"),
    // Workbench
    ("wb.hello", "您好，", "Hello, "),
    ("wb.scope", "负责范围：", "Your areas: "),
    ("wb.stats", "概况", "Overview"),
    ("wb.households", "户数", "Households"),
    ("wb.people", "人口", "Residents"),
    ("wb.party", "党员", "Party members"),
    ("wb.over60", "60 岁以上", "Aged 60 and over"),
    ("wb.age_chart", "年龄结构（人）", "Residents by age"),
    ("wb.pending", "待确认的村民注册：", "Villager registrations to confirm: "),
    ("wb.todo", "常用功能", "Common tasks"),
    ("wb.households_hint", "查看本辖区各户及成员", "Households and members in your area"),
    ("wb.import_hint", "用 Excel 台账批量导入人口", "Bring in people from an Excel ledger"),
    ("wb.areas_hint", "乡镇、村、村民小组与网格", "Townships, villages, groups and grids"),
    ("wb.audit_hint", "查阅和导出全部操作记录", "Browse and export every recorded action"),
    // Villager
    ("vh.hello", "您好，", "Hello, "),
    ("vh.my_household", "我的家庭", "My household"),
    ("vh.view_household", "查看家庭成员", "See household members"),
    ("vh.no_household", "还没有关联到户籍信息，请联系村干部。", "Your account is not yet linked to a household. Please ask a village cadre."),
    ("vh.help", "需要帮助？", "Need help?"),
    ("vh.help_text", "不会用手机的，可以请村干部代办；有事也可以直接到村便民服务站。", "If you are not used to phones, a village cadre can act for you, or visit the village service desk."),
    ("me.change_password", "修改密码", "Change password"),
    ("me.old_password", "原密码", "Current password"),
    ("me.new_password", "新密码", "New password"),
    ("me.password_hint", "至少 8 位，包含字母和数字", "At least 8 characters with letters and digits"),
    ("me.save", "保存", "Save"),
    ("me.saved", "密码已修改", "Password changed"),
    // Areas
    ("areas.intro", "县、乡镇、村（社区）、村民小组、网格。点村名旁的“户籍台账”查看各户。", "County, townships, villages, groups and grids. Use “Households” next to a village to see its households."),
    ("areas.import", "导入区划表", "Import a division table"),
    ("areas.import_hint", "Excel 或 CSV，列：代码、名称、级别、上级代码、启用日期。上级须先于下级。", "Excel or CSV with columns: code, name, level, parent code, valid from. Parents before children."),
    ("level.county", "县", "County"),
    ("level.township", "乡镇", "Township"),
    ("level.village", "村", "Village"),
    ("level.group", "村民小组", "Group"),
    ("level.grid", "网格", "Grid"),
    // Households and people
    ("hh.area", "所属区域", "Area"),
    ("hh.show", "查看", "Show"),
    ("hh.total", "共计户数：", "Households:"),
    ("hh.empty", "这里还没有户籍信息。可以用台账导入。", "No households here yet. You can import a ledger."),
    ("hh.household_of", "户", "household"),
    ("hh.number", "户号", "Household no."),
    ("hh.address", "住址", "Address"),
    ("hh.members", "成员人数", "Members"),
    ("hh.members_unit", " 人", " people"),
    ("hh.detail", "户详情", "Household"),
    ("people.search", "按姓名查找", "Search by name"),
    ("people.search_btn", "查找", "Search"),
    ("people.new", "登记人口", "Register a person"),
    ("people.edit", "修改信息", "Edit"),
    ("people.export", "导出 Excel", "Export to Excel"),
    ("people.total", "共计：", "Total:"),
    ("people.empty", "没有找到符合条件的人员。", "Nobody matches."),
    ("p.name", "姓名", "Name"),
    ("p.sex", "性别", "Sex"),
    ("p.age", "年龄", "Age"),
    ("p.birth", "出生日期", "Date of birth"),
    ("p.id_number", "身份证号", "ID number"),
    ("p.phone", "手机号", "Phone"),
    ("p.phone_new", "手机号（留空则不变）", "Phone (leave empty to keep)"),
    ("p.area", "区划代码", "Area code"),
    ("p.grid", "网格代码", "Grid code"),
    ("p.relation", "与户主关系", "Relation to head"),
    ("p.relation_input", "与户主关系（户主、配偶、子女、父母……）", "Relation to head (head, spouse, child, parent …)"),
    ("p.roles", "身份", "Roles"),
    ("p.kin", "亲属关系", "Kin"),
    ("M", "男", "Male"),
    ("F", "女", "Female"),
    ("head", "户主", "Head"),
    ("spouse", "配偶", "Spouse"),
    ("child", "子女", "Child"),
    ("parent", "父母", "Parent"),
    ("grandchild", "孙子女", "Grandchild"),
    ("sibling", "兄弟姐妹", "Sibling"),
    ("other", "其他", "Other"),
    ("role.party", "党员", "Party member"),
    ("role.rep", "村民代表", "Representative"),
    ("role.cadre", "村干部", "Cadre"),
    ("role.supervisor", "监督委员", "Supervisor"),
    ("reveal.title", "查看完整号码", "Show the full number"),
    ("reveal.hint", "仅在办事确有需要时查看。每次查看都会记入审计日志，包括您填写的理由。", "Only when a task needs it. Each reveal is written to the audit log with your reason."),
    ("reveal.field", "查看哪一项", "Which number"),
    ("reveal.reason", "查看理由", "Reason"),
    ("reveal.submit", "查看", "Show"),
    ("reveal.audited", "已显示完整号码，本次查看已记入审计日志。", "Shown; this reveal has been recorded in the audit log."),
    ("proxy.create", "为其开通代办账号", "Open a proxy account"),
    ("proxy.hint", "不会用手机的村民，可由村干部开通代办账号并代为办事；每一次代办都以您的名义记入审计日志。", "For villagers who cannot use a phone: a cadre opens a proxy account and acts for them; every such act is audited under your name."),
    ("proxy.done", "已开通代办账号。", "Proxy account opened."),
    ("form.has_errors", "有几项需要修改，请看下面红色提示。", "Some fields need attention — see the messages below."),
    ("form.save", "保存", "Save"),
    ("form.saved", "已保存", "Saved"),
    // Import
    ("import.people", "导入人口台账", "Import the people ledger"),
    ("import.people_hint", "上传 Excel（.xlsx）文件，第一行为表头。逐行检查，出错的行会列出行号和原因。", "Upload an Excel (.xlsx) file with a header row. Every row is checked; problems are listed by row and field."),
    ("import.file", "选择文件", "File"),
    ("import.file_hint", "不超过 32 MB", "Up to 32 MB"),
    ("import.mode", "有错误行时", "If some rows are wrong"),
    ("import.mode_all", "全部不导入（先改好再传）", "Import nothing (fix and upload again)"),
    ("import.mode_valid", "只导入正确的行", "Import the correct rows only"),
    ("import.submit", "开始导入", "Import"),
    ("import.template", "下载空白台账模板", "Download an empty ledger template"),
    ("import.report", "导入结果", "Import result"),
    ("import.rolled_back", "发现错误，本次没有导入任何数据。请按下表修改后重新上传。", "Errors found; nothing was imported. Fix the rows below and upload again."),
    ("import.done", "已导入：", "Imported:"),
    ("import.row", "行号", "Row"),
    ("import.field", "字段", "Field"),
    ("import.problem", "问题", "Problem"),
    // Accounts
    ("pending.intro", "本村村民自助注册后，请核对本人信息后确认开通。", "Villagers who registered themselves: check it is really them, then confirm."),
    ("pending.empty", "没有待确认的注册。", "No registrations waiting."),
    ("pending.confirm", "确认开通", "Confirm"),
    ("admin.create", "新建账号", "Create an account"),
    ("admin.display_name", "姓名", "Display name"),
    ("admin.password_hint", "至少 10 位，含大小写字母、数字、符号中的三类", "At least 10 characters from three of: lower case, upper case, digits, symbols"),
    ("admin.reset", "重置密码", "Reset a password"),
    ("admin.grant", "授予角色", "Grant a role"),
    ("admin.unlock", "解除锁定", "Unlock"),
    ("admin.role", "角色", "Role"),
    ("admin.status", "状态", "Status"),
    ("admin.totp_once", "该账号的动态验证码密钥（只显示这一次，请当面交给本人录入验证器）：", "Authenticator secret for this account (shown once; hand it to the user in person):"),
    ("status.active", "正常", "Active"),
    ("status.pending", "待确认", "Pending"),
    ("status.disabled", "已停用", "Disabled"),
    ("villager", "村民", "Villager"),
    ("grid_worker", "网格员", "Grid worker"),
    ("village_cadre", "村干部", "Village cadre"),
    ("village_supervisor", "村务监督委员", "Village supervisor"),
    ("township_staff", "乡镇干部", "Township staff"),
    ("county_staff", "县级干部", "County staff"),
    ("system_admin", "系统管理员", "System administrator"),
    ("security_admin", "安全管理员", "Security administrator"),
    ("audit_admin", "审计管理员", "Audit administrator"),
    ("tip_officer", "线索专员", "Tip officer"),
    // Audit
    ("audit.intro", "每一次修改和每一次查看完整个人信息都记录在此，记录之间以 SM3 哈希链相连，任何改动都可被发现。", "Every change and every reveal of personal data is recorded here, chained with SM3 hashes so that any alteration is detectable."),
    ("audit.action", "操作", "Action"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.time", "时间", "Time"),
    ("audit.object", "对象", "Object"),
    ("audit.source", "来源地址", "Source"),
    ("audit.detail", "说明", "Detail"),
    ("audit.on_behalf", "代办：", "acting for"),
    ("audit.verify", "校验哈希链", "Verify the chain"),
    ("audit.export", "导出 CSV", "Export CSV"),
    ("audit.intact", "哈希链完整，记录数：", "The chain is intact. Records:"),
    ("audit.broken", "哈希链被破坏：", "The chain is broken:"),
    // Paging and errors
    ("pager.label", "翻页", "Pages"),
    ("pager.prev", "上一页", "Previous"),
    ("pager.next", "下一页", "Next"),
    ("pager.older", "更早的记录", "Older records"),
    ("error.home", "回到首页", "Back to home"),
    ("status.400", "请求有误", "Bad request"),
    ("status.401", "请先登录", "Please log in"),
    ("status.403", "没有权限", "Not allowed"),
    ("status.404", "找不到页面", "Not found"),
    ("status.409", "与现有记录冲突", "Conflict"),
    ("status.413", "文件太大", "Too large"),
    ("status.422", "填写有误", "Please check your input"),
    ("status.429", "操作太频繁", "Too many attempts"),
    ("status.500", "系统出错了", "Something went wrong"),
    // Field names (for error messages)
    ("name", "姓名", "Name"),
    ("id_number", "身份证号", "ID number"),
    ("phone", "手机号", "Phone"),
    ("area_code", "区划代码", "Area code"),
    ("grid_code", "网格代码", "Grid code"),
    ("household_number", "户号", "Household no."),
    ("relation", "与户主关系", "Relation"),
    ("address", "住址", "Address"),
    ("file", "文件", "File"),
    ("code", "代码", "Code"),
    ("level", "级别", "Level"),
    ("parent_code", "上级代码", "Parent code"),
    ("username", "账号", "Username"),
    ("password", "密码", "Password"),
    ("old_password", "原密码", "Current password"),
    ("display_name", "姓名", "Display name"),
    ("reason", "理由", "Reason"),
    ("role", "角色", "Role"),
    ("user", "账号", "Account"),
    ("body", "请求内容", "Request body"),
    ("field", "字段", "Field"),
    ("date", "日期", "Date"),
    ("relative_id", "亲属", "Relative"),
];

/// Messages of error codes: (code, zh-CN, en).
pub const ERRORS: &[(&str, &str, &str)] = &[
    ("not_found", "找不到要找的内容，或您无权查看。", "Not found, or not yours to see."),
    ("validation", "填写的内容有误。", "Some input is not valid."),
    ("forbidden", "您的角色或负责范围不允许这项操作。", "Your role or area does not allow this."),
    ("rate_limited", "尝试太频繁，请一分钟后再试。", "Too many attempts; try again in a minute."),
    ("internal", "系统出错了，请稍后再试。已记录，管理员会处理。", "Something went wrong. It has been logged for the administrators."),
    ("duplicate", "已有相同的记录。", "This already exists."),
    ("search_unavailable", "搜索暂时不可用，请稍后再试，或按编号查询。", "Search is not available right now; try again later, or find a case by its number."),
    ("duplicate_person", "此身份证号已登记。", "This ID number is already registered."),
    ("duplicate_username", "该账号已存在。", "This account already exists."),
    ("duplicate_area", "该区划代码已存在。", "This area code already exists."),
    ("duplicate_household", "该户号已存在。", "This household number already exists."),
    ("bad_credentials", "账号或密码不对。", "Wrong username or password."),
    ("account_locked", "连续输错次数过多，账号已锁定 30 分钟。", "Too many failed attempts; the account is locked for 30 minutes."),
    ("account_pending", "账号还在等待村干部确认，或用短信验证码开通。", "The account is waiting for a cadre's confirmation or the SMS code."),
    ("account_disabled", "账号已停用，请联系管理员。", "The account is disabled; contact an administrator."),
    ("otp_required", "请填写 6 位动态验证码。", "Enter the 6-digit one-time code."),
    ("otp_invalid", "动态验证码不对或已过期。", "The one-time code is wrong or expired."),
    ("session_expired", "登录已过期，请重新登录。", "Your session has expired; please log in again."),
    ("csrf", "页面已过期，请刷新后重新提交。", "The page has expired; reload it and submit again."),
    ("registry_mismatch", "与户籍登记信息不一致，请核对姓名、身份证号和手机号，或找村干部。", "This does not match the registry; check name, ID number and phone, or ask a village cadre."),
    ("code_invalid", "验证码不对或已过期。", "The code is wrong or expired."),
    ("account_not_pending", "该账号不在待确认状态。", "This account is not waiting for confirmation."),
    ("required", "必须填写。", "Required."),
    ("too_long", "内容太长。", "Too long."),
    ("invalid", "格式不对。", "Not valid."),
    ("password_policy", "密码太简单：村民至少 8 位含字母和数字；干部至少 10 位含三类字符；不能包含账号。", "Password too weak: villagers at least 8 characters with letters and digits; staff at least 10 from three character classes; never containing the username."),
    ("reason_required", "请写明查看理由。", "Give a reason."),
    ("id_empty", "请填写身份证号。", "Enter the ID number."),
    ("id_length", "身份证号应为 18 位（或旧式 15 位）。", "An ID number has 18 digits (or 15 for old cards)."),
    ("id_characters", "身份证号只能是数字，最后一位可以是 X。", "Only digits, with X allowed last."),
    ("id_checksum", "身份证号校验位不对，请逐位核对。", "The check digit is wrong; check each digit."),
    ("id_birth_date", "身份证号中的出生日期不存在。", "The birth date in the number does not exist."),
    ("id_birth_future", "身份证号中的出生日期在今天之后。", "The birth date in the number is in the future."),
    ("id_birth_too_old", "身份证号中的出生年份早于 1900 年。", "The birth year in the number is before 1900."),
    ("phone_format", "手机号应为 11 位数字，以 1 开头。", "A mobile number has 11 digits starting with 1."),
    ("area_code_format", "区划代码格式不对（村级及以上 12 位数字）。", "Wrong area code format (12 digits for villages and above)."),
    ("area_code_level", "区划代码与级别不符。", "The code does not fit this level."),
    ("area_code_prefix", "区划代码与上级区划不符（前几位必须相同）。", "The code does not start with its parent's code."),
    ("area_code_range", "区划代码超出允许的范围。", "The code is outside the allowed range."),
    ("area_parent_missing", "找不到该区划或上级区划。", "The area or its parent does not exist."),
    ("area_outside_scope", "这个区划不在您的负责范围内。", "This area is outside your responsibility."),
    ("area_in_use", "该区划下还有下级区划、户或人口，请先迁出再停用。", "This area still has sub-areas, households or people; move them first."),
    ("area_retired", "该区划已停用。", "This area is already retired."),
    ("household_missing", "找不到该户。", "Household not found."),
    ("upload_too_large", "文件太大（最大 32 MB）。", "The file is too large (32 MB at most)."),
    ("upload_not_xlsx", "这不是 Excel（.xlsx）文件。", "This is not an Excel (.xlsx) file."),
    ("upload_header", "表头不对，请用模板中的列名。", "The header row is wrong; use the template's column names."),
    ("role_invalid", "该角色不能授予在这一级区划上。", "This role cannot be granted at this level."),
    ("separation_of_duties", "三权分立：不能给自己授权或修改自己，管理员不能兼任其他角色。", "Separation of duties: no one may change their own rights, and administrators hold no other role."),
    ("invalid_transition", "案件当前的状态不允许这个操作。", "The case's current state does not allow this."),
    ("evidence_required", "请写明办理结果（办结必须有依据）。", "Describe what was done (handling needs evidence)."),
    ("extension_pending", "已有一个延期申请在等待审批。", "An extension request is already waiting for a decision."),
    ("no_extension_pending", "没有待审批的延期申请。", "There is no extension request to decide."),
    ("verify_own_work", "核查必须由办理人以外的人进行。", "Someone other than the handler must verify the work."),
    ("case_not_open", "案件已办结或已退回，不能再上报。", "The case is closed or rejected and cannot be escalated."),
    ("already_top_level", "案件已在县级，不能再上报。", "The case is already at the county level."),
    ("unknown_field", "该事项没有这个字段。", "This case type has no such field."),
    ("not_a_number", "请填写数字。", "Enter a number."),
    ("not_a_datetime", "请填写日期时间（如 2026-05-01T09:00:00+08:00）。", "Enter a date and time (e.g. 2026-05-01T09:00:00+08:00)."),
    ("not_in_list", "请从列表中选择。", "Choose a value from the list."),
    ("anonymous_not_allowed", "这类事项不能匿名反映。", "This case type cannot be raised anonymously."),
    ("file_type", "只能上传照片（JPG、PNG）或 PDF 文件，且文件内容要与文件名相符。", "Only photos (JPG, PNG) or PDF files whose content matches their name."),
    ("not_a_dispute", "只有矛盾纠纷才走调解程序。", "Only disputes go through mediation."),
    ("consent_missing", "双方当事人都同意调解后才能调解。", "Both parties must agree to mediation first."),
    ("agreement_required", "请写明调解协议的内容（事实、责任、履行方式和期限）。", "Write the agreement: facts, responsibilities, how and when it is performed."),
    ("agreement_unsigned", "调解协议须经双方当事人和调解员签名后才生效。", "The agreement takes effect only when both parties and the mediator have signed."),
];

/// Translate a key. Unknown keys come back as themselves (a tidy test keeps this from happening).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match index(&TEXT_INDEX, TEXTS).get(key) {
        Some((zh, en)) => pick(lang, zh, en),
        None => "?",
    }
}

/// The label of an input field named in an error: its own word (`area_code`, `phone` …),
/// `field.<name>`, the name of a case type's field (`attribute[…]` → "this field"), never
/// a bare code or "?".
pub fn field_label(lang: Lang, field: &str) -> &'static str {
    let own = index(&TEXT_INDEX, TEXTS)
        .get(field)
        .or_else(|| index(&TEXT_INDEX, TEXTS).get(format!("field.{field}").as_str()));
    match own {
        Some((zh, en)) => pick(lang, zh, en),
        None => t(lang, "field.other"),
    }
}

/// The message of an error code.
pub fn error_message(lang: Lang, code: &str) -> &'static str {
    match index(&ERROR_INDEX, ERRORS).get(code) {
        Some((zh, en)) => pick(lang, zh, en),
        None => t(lang, "status.500"),
    }
}

type Table = &'static [(&'static str, &'static str, &'static str)];

/// Texts kept in other files, one per slice.
const EXTRA_TEXTS: &[Table] = &[
    crate::i18n_civic::TEXTS,
    crate::i18n_voice::TEXTS,
    crate::i18n_outbound::TEXTS,
];
/// Error messages kept in other files, one per slice.
const EXTRA_ERRORS: &[Table] = &[
    crate::i18n_civic::ERRORS,
    crate::i18n_voice::ERRORS,
    crate::i18n_outbound::ERRORS,
];

type Index = HashMap<&'static str, (&'static str, &'static str)>;

static TEXT_INDEX: OnceLock<Index> = OnceLock::new();
static ERROR_INDEX: OnceLock<Index> = OnceLock::new();

fn index(
    cell: &'static OnceLock<Index>,
    table: &'static [(&'static str, &'static str, &'static str)],
) -> &'static Index {
    // Each main table has companions kept beside it by slice (`i18n_*.rs`).
    let extra = if std::ptr::eq(table, TEXTS) {
        EXTRA_TEXTS
    } else {
        EXTRA_ERRORS
    };
    cell.get_or_init(|| {
        table
            .iter()
            .chain(extra.iter().flat_map(|t| t.iter()))
            .map(|(k, zh, en)| (*k, (*zh, *en)))
            .collect()
    })
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En {
        en
    } else {
        zh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a template or handler uses has both languages; every error code has a message.
    #[test]
    fn translations_are_complete() {
        let mut keys = std::collections::HashSet::new();
        for (k, zh, en) in TEXTS
            .iter()
            .chain(EXTRA_TEXTS.iter().flat_map(|t| t.iter()))
        {
            assert!(keys.insert(*k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k} lacks a translation");
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut used = Vec::new();
        for d in [dir, src] {
            collect(std::path::Path::new(d), &mut used);
        }
        for k in used {
            assert!(
                keys.contains(k.as_str()),
                "key {k} is used but not translated"
            );
        }
        let mut codes = std::collections::HashSet::new();
        for e in ERRORS
            .iter()
            .chain(EXTRA_ERRORS.iter().flat_map(|t| t.iter()))
        {
            assert!(codes.insert(e.0), "duplicate error code {}", e.0);
        }
        for c in xiangzhi_core::error::ERROR_CODES {
            assert!(codes.contains(c), "error code {c} has no message");
        }
        for (k, zh, en) in ERRORS
            .iter()
            .chain(EXTRA_ERRORS.iter().flat_map(|t| t.iter()))
        {
            assert!(!zh.is_empty() && !en.is_empty(), "{k} lacks a translation");
        }
        for r in xiangzhi_core::authz::ALL_ROLES {
            assert!(keys.contains(r.as_str()), "role {} has no name", r.as_str());
        }
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                let mut rest = text.as_str();
                while let Some(i) = rest.find("c.t(\"") {
                    rest = &rest[i + 5..];
                    if let Some(j) = rest.find('"') {
                        out.push(rest[..j].to_string());
                        rest = &rest[j..];
                    }
                }
            }
        }
    }
}
