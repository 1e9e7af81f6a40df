# 概览：各机构持有的案件、趋势，以及待处理事项。
overview-title = 概览
overview-no-scores = 暂无评分卡。委案后，首次夜间绩效快照完成即会显示。
overview-as-of = 评分卡截至 { $day }。
overview-held-accounts = 各机构当前持有的账户数
overview-accounts = 账户数
overview-placed-balance = 近 90 天委案金额
overview-balance = 金额
overview-collected-per-week = 每周回款（{ $currency }）
overview-recovery-rate = 各机构回收率（近 90 天）
overview-open-incidents = 未关闭的{ $severity }级合规事件
overview-expiring-papers = 30 天内到期的资质
overview-failed-jobs = 失败的任务
overview-statements-waiting = 待审批的佣金结算单
severity-critical = 严重
severity-high = 高
severity-medium = 中
severity-low = 低
