# Sixth batch: more Chinese (and some German) asks, everyday and hard, written fresh.
CHAT = {
"zh": [
    "今天好热啊,有什么解暑的饮料推荐?", "帮我想一个生日派对的主题", "“画蛇添足”这个成语怎么用?造个句",
    "Excel里怎么把两列合并成一列?", "JavaScript怎么判断一个变量是不是数组?", "帮我把这句话改得更口语一点:本周五下午召开部门例会。",
    "一公斤等于多少斤?", "北京到广州坐飞机大概几个小时?", "我想退订会员,怎么操作?", "给我讲个冷笑话",
],
"de": ["Was ziehe ich bei 5 Grad und Regen am besten an?", "Wie schreibt man eine kurze Abwesenheitsnotiz?", "Was bedeutet die Redewendung 'Tomaten auf den Augen haben'?"],
}
REASON = {
"zh": [
    "设计一个短链接服务,要求支持每天一亿次访问、自定义别名和过期时间,说明存储选型、ID生成方案和缓存策略。",
    "用Go实现一个带过期时间的分布式锁,基于Redis,说明如何处理锁续期和客户端崩溃的情况。",
    "写一个Python函数,找出字符串中最长的回文子串,要求时间复杂度优于O(n^3),并分析复杂度。",
    "证明:在任意一个三角形中,大边对大角。",
    "甲、乙、丙三人比赛跑步,甲说“我不是第一”,乙说“丙是第一”,丙说“我不是第三”。已知只有一人说谎,请推出名次并说明理由。",
    "一个口袋里有5个红球、3个白球,连续摸两次不放回,两次颜色不同的概率是多少?写出完整推导。",
    "我们团队要在六周内上线新版App:设计评审要在开发前完成,后端接口和前端可以并行,测试需要两周,上架审核约一周。请排出详细计划并指出关键路径。",
    "对比分析Redis和Memcached在高并发缓存场景下的优劣,结合持久化、数据结构、集群方案给出选型建议。",
    "请以评审专家的身份,从创新性、可行性和商业价值三方面评估下面这个创业想法并打分:做一个面向老年人的语音购物助手。",
    "分析为什么我们的接口在流量高峰时响应时间从200毫秒涨到3秒,列出可能原因、排查顺序和对应的验证方法。",
    "推导等比数列前n项和公式,并说明公比为1时的情况。",
    "有一个8×8的棋盘去掉对角的两个格子,能否用31块1×2的骨牌完全覆盖?请证明你的结论。",
],
"de": [
    "Entwirf einen URL-Shortener für 100 Millionen Aufrufe pro Tag mit eigenen Aliasen und Ablaufzeit: Speicherwahl, ID-Erzeugung und Caching.",
    "Zeige, dass in jedem Dreieck der größeren Seite der größere Winkel gegenüberliegt.",
    "Ein Schachbrett ohne zwei gegenüberliegende Eckfelder: Lässt es sich mit 31 Dominosteinen überdecken? Beweise deine Antwort.",
],
}
